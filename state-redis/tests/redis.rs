//! RedisStore against a real `redis-server` (one per test, on a free
//! loopback port; skipped locally without it, required under CI=true).

use std::sync::Arc;
use std::time::{Duration, Instant};

use kakunin_oidc::state::{StateError, StateStore};
use kakunin_state_redis::{JoinError, RedisConfig, RedisStore, RedisStoreError};
use kakunin_testkit::redis::RedisServer;

const MIN: Duration = Duration::from_secs(60);

fn config(server: &RedisServer) -> RedisConfig {
    RedisConfig::from_url(&server.url()).unwrap()
}

async fn store(server: &RedisServer) -> RedisStore {
    RedisStore::connect(config(server)).await.unwrap()
}

async fn store_with_prefix(server: &RedisServer, prefix: &str) -> RedisStore {
    let mut c = config(server);
    c.prefix = prefix.into();
    RedisStore::connect(c).await.unwrap()
}

/// A plain connection beside the store, to look at what it left in Redis.
async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn pttl(conn: &mut redis::aio::MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query_async(conn).await.unwrap()
}

fn unavailable(r: Result<impl std::fmt::Debug, StateError>) -> String {
    match r {
        Err(StateError::Unavailable(msg)) => msg,
        other => panic!("expected Unavailable, found {other:?}"),
    }
}

/// Waits (bounded) until `n` calls in a row succeed, so that every pooled
/// connection is back: how long it took.
async fn until_served(store: &RedisStore, n: usize, within: Duration) -> Duration {
    let start = Instant::now();
    let mut in_a_row = 0;
    while in_a_row < n {
        assert!(
            start.elapsed() < within,
            "redis store not serving again within {within:?}"
        );
        if store.get("probe").await.is_ok() {
            in_a_row += 1;
        } else {
            in_a_row = 0;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    start.elapsed()
}

/// The suite every StateStore backend passes (kakunin-oidc's
/// `state_conformance`; the memory store runs it too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_passes_the_state_store_conformance_suite() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = store(&server).await;
    kakunin_oidc::state_conformance::check(&store, "conformance:").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_take_and_mark_once_with_ttls_in_redis() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let s = store(&server).await;
    let mut conn = raw(&server).await;

    s.put("code:a", b"value".to_vec(), MIN).await.unwrap();
    let ttl = pttl(&mut conn, "kakunin:code:a").await;
    assert!(ttl > 59_000 && ttl <= 60_000, "PTTL {ttl}");
    assert_eq!(s.get("code:a").await.unwrap(), Some(b"value".to_vec()));
    assert_eq!(s.get("code:a").await.unwrap(), Some(b"value".to_vec()));
    assert_eq!(s.take("code:a").await.unwrap(), Some(b"value".to_vec()));
    assert_eq!(s.take("code:a").await.unwrap(), None);
    assert_eq!(s.get("code:a").await.unwrap(), None);

    // Binary values round-trip; a put replaces.
    let bytes: Vec<u8> = (0..=255).collect();
    s.put("par:b", vec![1], MIN).await.unwrap();
    s.put("par:b", bytes.clone(), MIN).await.unwrap();
    assert_eq!(s.get("par:b").await.unwrap(), Some(bytes));

    assert!(s.mark_once("jti:1", MIN).await.unwrap());
    assert!(!s.mark_once("jti:1", MIN).await.unwrap());
    let ttl = pttl(&mut conn, "kakunin:jti:1").await;
    assert!(ttl > 59_000 && ttl <= 60_000, "PTTL {ttl}");

    // Expiry is Redis's.
    let short = Duration::from_millis(200);
    s.put("code:short", vec![7], short).await.unwrap();
    assert!(s.mark_once("used:short", short).await.unwrap());
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(s.get("code:short").await.unwrap(), None);
    assert_eq!(s.take("code:short").await.unwrap(), None);
    assert!(s.mark_once("used:short", short).await.unwrap());
    // A zero TTL is one millisecond (Redis refuses PX 0), not an error.
    s.put("zero", vec![], Duration::ZERO).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn take_is_single_use_across_two_replicas() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let replicas = [
        Arc::new(store(&server).await),
        Arc::new(store(&server).await),
    ];
    for round in 0..10 {
        let key = format!("code:{round}");
        replicas[0].put(&key, b"c".to_vec(), MIN).await.unwrap();
        let takers: Vec<_> = (0..50)
            .map(|i| {
                let replica = replicas[i % 2].clone();
                let key = key.clone();
                tokio::spawn(async move { replica.take(&key).await.unwrap() })
            })
            .collect();
        let mut got = 0;
        for t in takers {
            if t.await.unwrap().is_some() {
                got += 1;
            }
        }
        assert_eq!(got, 1, "round {round}: {got} takers got the code");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_once_is_won_once_across_two_replicas() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let replicas = [
        Arc::new(store(&server).await),
        Arc::new(store(&server).await),
    ];
    for round in 0..10 {
        let key = format!("jti:{round}");
        let markers: Vec<_> = (0..50)
            .map(|i| {
                let replica = replicas[i % 2].clone();
                let key = key.clone();
                tokio::spawn(async move { replica.mark_once(&key, MIN).await.unwrap() })
            })
            .collect();
        let mut won = 0;
        for m in markers {
            if m.await.unwrap() {
                won += 1;
            }
        }
        assert_eq!(won, 1, "round {round}: {won} markers won");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_keep_deployments_apart() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = store_with_prefix(&server, "prod:").await;
    let b = store_with_prefix(&server, "staging:").await;
    a.put("code:x", b"a".to_vec(), MIN).await.unwrap();
    b.put("code:x", b"b".to_vec(), MIN).await.unwrap();
    assert!(a.mark_once("jti:1", MIN).await.unwrap());
    assert!(b.mark_once("jti:1", MIN).await.unwrap());
    assert_eq!(a.take("code:x").await.unwrap(), Some(b"a".to_vec()));
    assert_eq!(b.get("code:x").await.unwrap(), Some(b"b".to_vec()));
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw(&server).await)
        .await
        .unwrap();
    keys.sort();
    assert_eq!(keys, ["prod:jti:1", "staging:code:x", "staging:jti:1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_fast_and_service_resumes_by_itself() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let s = store(&server).await;
    let addr = format!("127.0.0.1:{}", server.port());
    s.put("code:before", vec![1], MIN).await.unwrap();
    server.kill();

    {
        let calls: [(&str, Result<(), StateError>); 5] = [
            ("get", s.get("code:before").await.map(drop)),
            ("put", s.put("code:x", vec![1], MIN).await),
            ("take", s.take("code:before").await.map(drop)),
            ("mark_once", s.mark_once("jti:x", MIN).await.map(drop)),
            ("ping", s.ping().await.map(drop)),
        ];
        for (what, r) in calls {
            let msg = unavailable(r);
            assert!(msg.contains(&addr), "{what}: {msg}");
        }
    }
    // Each call is bounded: timed one by one.
    for _ in 0..8 {
        let start = Instant::now();
        unavailable(s.get("code:before").await);
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "a call took {took:?} with redis down"
        );
    }

    server.restart();
    let resumed = until_served(&s, 16, Duration::from_secs(10)).await;
    eprintln!("served again {resumed:?} after redis-server restarted");
    // Restarted empty: what was there is gone, new state works.
    assert_eq!(s.get("code:before").await.unwrap(), None);
    s.put("code:after", vec![2], MIN).await.unwrap();
    assert_eq!(s.take("code:after").await.unwrap(), Some(vec![2]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_redis_is_refused_within_the_timeout_without_pile_up() {
    let Some(server) = RedisServer::start_with(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let s = Arc::new(store(&server).await);
    s.put("code:a", vec![1], MIN).await.unwrap();
    // DEBUG SLEEP blocks the whole server, as a stalled Redis would.
    let sleeper = tokio::spawn({
        let mut conn = redis::Client::open(server.url())
            .unwrap()
            .get_multiplexed_async_connection_with_config(
                &redis::AsyncConnectionConfig::new().set_response_timeout(None),
            )
            .await
            .unwrap();
        async move {
            let _: redis::Value = redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg("1.5")
                .query_async(&mut conn)
                .await
                .unwrap();
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let r = s.get("code:a").await;
                (t.elapsed(), r)
            })
        })
        .collect();
    for c in calls {
        let (took, r) = c.await.unwrap();
        let msg = unavailable(r);
        assert!(msg.contains("no answer"), "{msg}");
        assert!(took < Duration::from_secs(1), "a call took {took:?}");
    }
    let all = start.elapsed();
    assert!(all < Duration::from_secs(1), "200 calls took {all:?}");
    sleeper.await.unwrap();
    until_served(&s, 8, Duration::from_secs(5)).await;
    assert_eq!(s.get("code:a").await.unwrap(), Some(vec![1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_redis_refuses_new_state_and_forgets_nothing() {
    let Some(server) = RedisServer::start_with(&["--maxmemory-policy", "noeviction"]) else {
        return;
    };
    let s = store(&server).await;
    // An empty redis-server with a few clients already uses about 1 MB:
    // the limit is 1 MB above what it uses now.
    let mut conn = raw(&server).await;
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut conn)
        .await
        .unwrap();
    let used: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(used + (1 << 20))
        .query_async(&mut conn)
        .await
        .unwrap();
    s.put("code:first", b"kept".to_vec(), MIN).await.unwrap();
    assert!(s.mark_once("used:first", MIN).await.unwrap());
    let value = vec![b'x'; 1024];
    let mut refused = None;
    for i in 0..10_000 {
        if let Err(e) = s.put(&format!("par:{i}"), value.clone(), MIN).await {
            refused = Some((i, e));
            break;
        }
    }
    let (stored, e) = refused.expect("1 MB of room took 10 MB");
    let msg = unavailable(Err::<(), _>(e));
    assert!(msg.contains("full") && msg.contains("OOM"), "{msg}");
    eprintln!("refused after {stored} puts: {msg}");
    // Marks are refused too once the last bytes are gone (a small one may
    // still fit right after a refused put): the request fails closed.
    let mut marked = 0;
    let msg = loop {
        match s.mark_once(&format!("used:{marked}"), MIN).await {
            Ok(first) => assert!(first),
            Err(e) => break unavailable(Err::<(), _>(e)),
        }
        marked += 1;
        assert!(marked < 100_000, "marks never refused");
    };
    assert!(msg.contains("full"), "{msg}");
    eprintln!("marks refused after {marked} more");
    // Even a replayed mark is refused (Redis checks memory before it looks
    // at the key): a 503, never a pass.
    unavailable(s.mark_once("used:first", MIN).await);
    // Nothing was evicted: every value and mark is still there.
    for i in 0..marked {
        assert_eq!(s.get(&format!("used:{i}")).await.unwrap(), Some(vec![]));
    }
    assert_eq!(s.get("used:first").await.unwrap(), Some(vec![]));
    assert_eq!(s.get("code:first").await.unwrap(), Some(b"kept".to_vec()));
    for i in 0..stored {
        assert_eq!(
            s.get(&format!("par:{i}")).await.unwrap().as_ref(),
            Some(&value)
        );
    }
    // Taking (GETDEL) still works when full: codes can still be redeemed.
    assert_eq!(s.take("code:first").await.unwrap(), Some(b"kept".to_vec()));
    assert_eq!(s.take("code:first").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_may_evict_is_refused() {
    let Some(server) = RedisServer::start_with(&["--maxmemory-policy", "volatile-lru"]) else {
        return;
    };
    let e = RedisStore::connect(config(&server)).await.unwrap_err();
    assert!(matches!(e, RedisStoreError::Eviction { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("volatile-lru") && msg.contains("noeviction"),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_refuses_a_replica_with_other_secrets() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let ours = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let theirs = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    let a = store(&server).await;
    let b = store(&server).await;
    a.join(ours).await.unwrap();
    b.join(ours).await.unwrap();
    a.join(ours).await.unwrap();
    let e = b.join(theirs).await.unwrap_err();
    assert!(matches!(e, JoinError::Mismatch { .. }), "{e:?}");
    let msg = e.to_string();
    for part in [
        "0123456789abcdef…",
        "fedcba9876543210…",
        "signing keys",
        "pairwise",
        "challenge key",
        "kakunin:fingerprint",
    ] {
        assert!(msg.contains(part), "{part:?} not in {msg}");
    }
    assert!(!msg.contains(&ours[..17]), "{msg}");
    // No time to live on the fingerprint.
    assert_eq!(
        pttl(&mut raw(&server).await, "kakunin:fingerprint").await,
        -1
    );
    // Another prefix is another deployment.
    store_with_prefix(&server, "other:")
        .await
        .join(theirs)
        .await
        .unwrap();

    // Restarted empty: the first replica to join sets it again.
    server.restart();
    until_served(&a, 8, Duration::from_secs(10)).await;
    until_served(&b, 8, Duration::from_secs(10)).await;
    b.join(theirs).await.unwrap();
    assert!(matches!(
        a.join(ours).await,
        Err(JoinError::Mismatch { .. })
    ));

    // Redis away: an error, not a pass.
    server.kill();
    assert!(matches!(
        a.join(ours).await,
        Err(JoinError::Unavailable(StateError::Unavailable(_)))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_from_config_and_never_in_errors() {
    let password = "correct-horse-battery-staple";
    let Some(server) = RedisServer::start_with(&["--requirepass", password]) else {
        return;
    };
    let mut c = config(&server);
    c.password = Some(password.into());
    let s = RedisStore::connect(c.clone()).await.unwrap();
    s.put("code:a", vec![1], MIN).await.unwrap();
    assert_eq!(s.take("code:a").await.unwrap(), Some(vec![1]));
    for shown in [c.to_string(), format!("{c:?}"), format!("{s:?}")] {
        assert!(!shown.contains(password), "{shown}");
    }

    let wrong = "wrong-password-hunter2";
    c.password = Some(wrong.into());
    let e = RedisStore::connect(c.clone()).await.unwrap_err();
    assert!(matches!(e, RedisStoreError::Auth { .. }), "{e:?}");
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(
            !shown.contains(wrong) && !shown.contains(password),
            "{shown}"
        );
        assert!(shown.contains(&server.port().to_string()), "{shown}");
    }

    c.password = None;
    let e = RedisStore::connect(c).await.unwrap_err();
    assert!(matches!(e, RedisStoreError::Auth { .. }), "{e:?}");
    assert!(e.to_string().contains("no password"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_nothing_fails_fast_naming_the_address() {
    // A listener that accepts and never answers (a hung Redis), and a
    // port where nothing listens.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for port in [silent_port, closed_port] {
        let mut c = RedisConfig::from_url(&format!("redis://127.0.0.1:{port}/0")).unwrap();
        c.timeout = Duration::from_millis(100);
        let start = Instant::now();
        let e = RedisStore::connect(c).await.unwrap_err();
        let took = start.elapsed();
        assert!(matches!(e, RedisStoreError::Unreachable { .. }), "{e:?}");
        assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
        assert!(took < Duration::from_secs(2), "connect took {took:?}");
    }
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_with_a_private_ca() {
    use kakunin_testkit::{openssl_in, path_str};
    let tmp = kakunin_testkit::tempdir();
    let d = tmp.path();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let ca = [
        &["req", "-x509"][..],
        &ec,
        &["-keyout", "ca.key", "-out", "ca.pem"],
    ]
    .concat();
    openssl_in(
        d,
        &[
            &ca[..],
            &["-days", "2", "-subj", "/CN=kakunin test redis CA"],
        ]
        .concat(),
    );
    let csr = [
        &["req"][..],
        &ec,
        &["-keyout", "srv.key", "-out", "srv.csr"],
    ]
    .concat();
    openssl_in(d, &[&csr[..], &["-subj", "/CN=redis"]].concat());
    kakunin_testkit::write(&d.join("ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl_in(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "srv.pem",
            "-days",
            "2",
            "-extfile",
            "ext",
        ],
    );
    let tls_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let (cert, key, ca) = (d.join("srv.pem"), d.join("srv.key"), d.join("ca.pem"));
    let Some(_server) = RedisServer::start_with(&[
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        path_str(&cert),
        "--tls-key-file",
        path_str(&key),
        "--tls-ca-cert-file",
        path_str(&ca),
        "--tls-auth-clients",
        "no",
    ]) else {
        return;
    };
    let mut c = RedisConfig::from_url(&format!("rediss://127.0.0.1:{tls_port}/0")).unwrap();
    c.tls_ca_file = Some(ca);
    let s = RedisStore::connect(c.clone()).await.unwrap();
    s.put("code:tls", vec![1], MIN).await.unwrap();
    assert_eq!(s.take("code:tls").await.unwrap(), Some(vec![1]));

    // The system's roots do not know the private CA: refused, naming it.
    c.tls_ca_file = None;
    let e = RedisStore::connect(c).await.unwrap_err();
    assert!(matches!(e, RedisStoreError::Unreachable { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{tls_port}")), "{msg}");
    assert!(msg.contains("certificate"), "{msg}");
    eprintln!("without the CA: {msg}");
}
