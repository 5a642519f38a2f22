//! Japanese names and addresses for the generated card holders.
//!
//! The lists are small but real: common surnames and given names in kanji,
//! all 47 prefectures with their capital (and a few more large cities), in
//! kanji for the SAN address and in the romanised form JPKI puts in the
//! subject's `L=` attributes. No real person is described: names and
//! addresses are combined at random.

use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

use super::pick;

/// Common surnames.
const SURNAMES: &[&str] = &[
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
    "山崎",
    "森",
    "池田",
    "橋本",
    "阿部",
    "石川",
    "山下",
    "中島",
    "石井",
    "小川",
    "前田",
    "岡田",
    "長谷川",
    "藤田",
    "後藤",
    "近藤",
    "村上",
    "遠藤",
    "青木",
    "坂本",
    "斉藤",
    "福田",
    "太田",
    "西村",
    "藤井",
    "金子",
    "岡本",
    "藤原",
    "中野",
    "三浦",
    "原田",
    "中川",
    "松田",
    "竹内",
    "小野",
    "田村",
    "中山",
    "和田",
    "石田",
    "森田",
    "上田",
    "原",
    "柴田",
    "酒井",
    "工藤",
    "横山",
    "宮崎",
    "宮本",
    "内田",
    "高木",
    "安藤",
    "島田",
    "谷口",
    "大野",
    "高田",
    "丸山",
    "今井",
    "河野",
    "藤本",
    "村田",
    "武田",
    "上野",
    "杉山",
    "増田",
    "髙橋",
    "渡邉",
    "齋藤",
    "比嘉",
    "金城",
    "大城",
];

/// Surnames above whose official spelling uses a character outside the
/// basic set (so the card marks an alternative-character position).
const SURNAMES_WITH_ALT_CHAR: &[&str] = &["髙橋", "渡邉", "齋藤"];

/// Common male given names.
const MALE: &[&str] = &[
    "太郎", "一郎", "健太", "翔太", "大輔", "拓也", "誠", "浩", "隆", "茂", "博", "清", "実", "蓮",
    "湊", "大翔", "陽翔", "悠真", "蒼", "樹", "颯太", "健一", "和也", "直樹", "達也", "哲也",
    "秀樹", "正人", "勇気", "翼",
];

/// Common female given names.
const FEMALE: &[&str] = &[
    "花子",
    "陽子",
    "恵子",
    "幸子",
    "和子",
    "洋子",
    "裕子",
    "直美",
    "由美子",
    "美穂",
    "愛",
    "彩",
    "陽菜",
    "結衣",
    "葵",
    "凛",
    "芽依",
    "さくら",
    "美咲",
    "七海",
    "真由美",
    "久美子",
    "智子",
    "明美",
    "優子",
    "舞",
    "杏",
    "紬",
    "結愛",
    "ひまり",
];

/// A prefecture: kanji, romanised, and some of its cities (kanji, romanised).
pub(crate) struct Prefecture {
    /// e.g. 東京都
    pub kanji: &'static str,
    /// e.g. Tokyo-to
    pub romaji: &'static str,
    /// Cities, wards, towns: (kanji, romanised).
    pub cities: &'static [(&'static str, &'static str)],
}

macro_rules! pref {
    ($k:expr, $r:expr, [$(($ck:expr, $cr:expr)),+ $(,)?]) => {
        Prefecture { kanji: $k, romaji: $r, cities: &[$(($ck, $cr)),+] }
    };
}

/// All 47 prefectures, in JIS X 0401 order.
pub(crate) const PREFECTURES: &[Prefecture] = &[
    pref!(
        "北海道",
        "Hokkaido",
        [
            ("札幌市中央区", "Sapporo-shi Chuo-ku"),
            ("旭川市", "Asahikawa-shi"),
            ("函館市", "Hakodate-shi")
        ]
    ),
    pref!(
        "青森県",
        "Aomori-ken",
        [("青森市", "Aomori-shi"), ("八戸市", "Hachinohe-shi")]
    ),
    pref!("岩手県", "Iwate-ken", [("盛岡市", "Morioka-shi")]),
    pref!(
        "宮城県",
        "Miyagi-ken",
        [
            ("仙台市青葉区", "Sendai-shi Aoba-ku"),
            ("石巻市", "Ishinomaki-shi")
        ]
    ),
    pref!("秋田県", "Akita-ken", [("秋田市", "Akita-shi")]),
    pref!("山形県", "Yamagata-ken", [("山形市", "Yamagata-shi")]),
    pref!(
        "福島県",
        "Fukushima-ken",
        [("福島市", "Fukushima-shi"), ("郡山市", "Koriyama-shi")]
    ),
    pref!(
        "茨城県",
        "Ibaraki-ken",
        [("水戸市", "Mito-shi"), ("つくば市", "Tsukuba-shi")]
    ),
    pref!("栃木県", "Tochigi-ken", [("宇都宮市", "Utsunomiya-shi")]),
    pref!(
        "群馬県",
        "Gunma-ken",
        [("前橋市", "Maebashi-shi"), ("高崎市", "Takasaki-shi")]
    ),
    pref!(
        "埼玉県",
        "Saitama-ken",
        [
            ("さいたま市浦和区", "Saitama-shi Urawa-ku"),
            ("川口市", "Kawaguchi-shi"),
            ("川越市", "Kawagoe-shi")
        ]
    ),
    pref!(
        "千葉県",
        "Chiba-ken",
        [
            ("千葉市中央区", "Chiba-shi Chuo-ku"),
            ("船橋市", "Funabashi-shi"),
            ("柏市", "Kashiwa-shi")
        ]
    ),
    pref!(
        "東京都",
        "Tokyo-to",
        [
            ("千代田区", "Chiyoda-ku"),
            ("新宿区", "Shinjuku-ku"),
            ("世田谷区", "Setagaya-ku"),
            ("練馬区", "Nerima-ku"),
            ("八王子市", "Hachioji-shi")
        ]
    ),
    pref!(
        "神奈川県",
        "Kanagawa-ken",
        [
            ("横浜市中区", "Yokohama-shi Naka-ku"),
            ("川崎市川崎区", "Kawasaki-shi Kawasaki-ku"),
            ("相模原市中央区", "Sagamihara-shi Chuo-ku")
        ]
    ),
    pref!(
        "新潟県",
        "Niigata-ken",
        [("新潟市中央区", "Niigata-shi Chuo-ku")]
    ),
    pref!("富山県", "Toyama-ken", [("富山市", "Toyama-shi")]),
    pref!("石川県", "Ishikawa-ken", [("金沢市", "Kanazawa-shi")]),
    pref!("福井県", "Fukui-ken", [("福井市", "Fukui-shi")]),
    pref!("山梨県", "Yamanashi-ken", [("甲府市", "Kofu-shi")]),
    pref!(
        "長野県",
        "Nagano-ken",
        [("長野市", "Nagano-shi"), ("松本市", "Matsumoto-shi")]
    ),
    pref!("岐阜県", "Gifu-ken", [("岐阜市", "Gifu-shi")]),
    pref!(
        "静岡県",
        "Shizuoka-ken",
        [
            ("静岡市葵区", "Shizuoka-shi Aoi-ku"),
            ("浜松市中央区", "Hamamatsu-shi Chuo-ku")
        ]
    ),
    pref!(
        "愛知県",
        "Aichi-ken",
        [
            ("名古屋市中区", "Nagoya-shi Naka-ku"),
            ("豊田市", "Toyota-shi"),
            ("岡崎市", "Okazaki-shi")
        ]
    ),
    pref!(
        "三重県",
        "Mie-ken",
        [("津市", "Tsu-shi"), ("四日市市", "Yokkaichi-shi")]
    ),
    pref!("滋賀県", "Shiga-ken", [("大津市", "Otsu-shi")]),
    pref!(
        "京都府",
        "Kyoto-fu",
        [
            ("京都市中京区", "Kyoto-shi Nakagyo-ku"),
            ("宇治市", "Uji-shi")
        ]
    ),
    pref!(
        "大阪府",
        "Osaka-fu",
        [
            ("大阪市北区", "Osaka-shi Kita-ku"),
            ("堺市堺区", "Sakai-shi Sakai-ku"),
            ("豊中市", "Toyonaka-shi")
        ]
    ),
    pref!(
        "兵庫県",
        "Hyogo-ken",
        [
            ("神戸市中央区", "Kobe-shi Chuo-ku"),
            ("姫路市", "Himeji-shi"),
            ("西宮市", "Nishinomiya-shi")
        ]
    ),
    pref!("奈良県", "Nara-ken", [("奈良市", "Nara-shi")]),
    pref!("和歌山県", "Wakayama-ken", [("和歌山市", "Wakayama-shi")]),
    pref!("鳥取県", "Tottori-ken", [("鳥取市", "Tottori-shi")]),
    pref!("島根県", "Shimane-ken", [("松江市", "Matsue-shi")]),
    pref!(
        "岡山県",
        "Okayama-ken",
        [
            ("岡山市北区", "Okayama-shi Kita-ku"),
            ("倉敷市", "Kurashiki-shi")
        ]
    ),
    pref!(
        "広島県",
        "Hiroshima-ken",
        [
            ("広島市中区", "Hiroshima-shi Naka-ku"),
            ("福山市", "Fukuyama-shi")
        ]
    ),
    pref!(
        "山口県",
        "Yamaguchi-ken",
        [("山口市", "Yamaguchi-shi"), ("下関市", "Shimonoseki-shi")]
    ),
    pref!("徳島県", "Tokushima-ken", [("徳島市", "Tokushima-shi")]),
    pref!("香川県", "Kagawa-ken", [("高松市", "Takamatsu-shi")]),
    pref!("愛媛県", "Ehime-ken", [("松山市", "Matsuyama-shi")]),
    pref!("高知県", "Kochi-ken", [("高知市", "Kochi-shi")]),
    pref!(
        "福岡県",
        "Fukuoka-ken",
        [
            ("福岡市中央区", "Fukuoka-shi Chuo-ku"),
            ("北九州市小倉北区", "Kitakyushu-shi Kokurakita-ku"),
            ("久留米市", "Kurume-shi")
        ]
    ),
    pref!("佐賀県", "Saga-ken", [("佐賀市", "Saga-shi")]),
    pref!(
        "長崎県",
        "Nagasaki-ken",
        [("長崎市", "Nagasaki-shi"), ("佐世保市", "Sasebo-shi")]
    ),
    pref!(
        "熊本県",
        "Kumamoto-ken",
        [("熊本市中央区", "Kumamoto-shi Chuo-ku")]
    ),
    pref!("大分県", "Oita-ken", [("大分市", "Oita-shi")]),
    pref!("宮崎県", "Miyazaki-ken", [("宮崎市", "Miyazaki-shi")]),
    pref!("鹿児島県", "Kagoshima-ken", [("鹿児島市", "Kagoshima-shi")]),
    pref!(
        "沖縄県",
        "Okinawa-ken",
        [("那覇市", "Naha-shi"), ("沖縄市", "Okinawa-shi")]
    ),
];

/// Town names used after the city (the 町名 part of an address).
const TOWNS: &[&str] = &[
    "本町",
    "中央",
    "栄町",
    "旭町",
    "緑町",
    "桜町",
    "東町",
    "西町",
    "南町",
    "北町",
    "駅前",
    "新町",
    "若葉",
    "松原",
    "青葉台",
    "富士見",
    "日の出町",
    "港町",
    "城東",
    "宮前",
];

/// Kanji numerals for 丁目 (chōme), as addresses on the card write them.
const KANJI_DIGITS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// The facts a signing certificate carries about its holder (SAN values),
/// plus where the holder lives for the subject's `L=` attributes.
#[derive(Clone, Debug)]
pub(crate) struct Person {
    /// Kanji name, surname and given name separated by an ideographic space
    /// (U+3000), as the resident register writes it.
    pub name: String,
    /// 1-based character positions in `name` where the card shows an
    /// alternative character; comma-separated, empty when none.
    pub name_alt: String,
    /// "1" male, "2" female, "9" not applicable (ISO 5218 codes).
    pub sex: &'static str,
    /// Full address in kanji, beginning with the prefecture.
    pub address: String,
    /// Like `name_alt`, for `address`.
    pub address_alt: String,
    /// Romanised prefecture for the subject.
    pub prefecture_romaji: &'static str,
    /// Romanised city for the subject.
    pub city_romaji: &'static str,
}

/// Draws a holder (everything but the birth date, which depends on the
/// certificate's validity and is chosen by the caller).
pub(crate) fn random_person(rng: &mut ChaCha20Rng) -> Person {
    let roll = rng.next_u32() % 1000;
    let sex = if roll < 5 {
        "9"
    } else if roll < 505 {
        "2"
    } else {
        "1"
    };
    let surname = pick(rng, SURNAMES);
    let given = if sex == "2" {
        pick(rng, FEMALE)
    } else {
        pick(rng, MALE)
    };
    let name = format!("{surname}\u{3000}{given}");
    let name_alt = if SURNAMES_WITH_ALT_CHAR.contains(&surname) {
        // The first character is the variant one in every listed surname.
        "1".to_string()
    } else {
        String::new()
    };
    let pref = &PREFECTURES[(rng.next_u32() as usize) % PREFECTURES.len()];
    let (city, city_romaji) = pref.cities[(rng.next_u32() as usize) % pref.cities.len()];
    let town = pick(rng, TOWNS);
    let chome = KANJI_DIGITS[(rng.next_u32() % 5) as usize];
    let ban = 1 + rng.next_u32() % 30;
    let go = 1 + rng.next_u32() % 25;
    let mut address = format!("{}{city}{town}{chome}丁目{ban}番{go}号", pref.kanji);
    // About one in eight holders lives in an apartment with a room number.
    if super::below(rng, 8) == 0 {
        let (floor, room) = (1 + rng.next_u32() % 12, 1 + rng.next_u32() % 10);
        address.push_str(&format!("\u{3000}{floor}{room:02}号室"));
    }
    Person {
        name,
        name_alt,
        sex,
        address,
        address_alt: String::new(),
        prefecture_romaji: pref.romaji,
        city_romaji,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn all_prefectures_and_plausible_people() {
        assert_eq!(PREFECTURES.len(), 47);
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for _ in 0..200 {
            let p = random_person(&mut rng);
            assert!(PREFECTURES.iter().any(|x| p.address.starts_with(x.kanji)));
            assert!(p.name.contains('\u{3000}'));
            assert!(p.address.contains("丁目"));
            assert!(p.city_romaji.is_ascii() && p.prefecture_romaji.is_ascii());
        }
    }
}
