//! What every [`StateStore`] must do, as one suite run against each
//! backend: the memory store's unit tests and the Redis store's tests
//! (`state-redis/tests`) call [`check`], so the two cannot drift apart.
//! Enabled by the `conformance` feature (and in this crate's tests).

use std::time::Duration;

use crate::state::StateStore;

/// Runs every check on `store`, whose keys under `prefix` must be unused.
/// Panics, naming the check, on the first that fails. Sleeps about 1.2 s
/// (expiry is checked in real time, as a shared store keeps it).
pub async fn check(store: &dyn StateStore, prefix: &str) {
    let k = |name: &str| format!("{prefix}{name}");
    let long = Duration::from_secs(60);

    // put / get: a value, left in place, replaced by a later put.
    store
        .put(&k("a"), b"one".to_vec(), long)
        .await
        .expect("put");
    assert_eq!(
        store.get(&k("a")).await.expect("get"),
        Some(b"one".to_vec()),
        "get after put"
    );
    assert_eq!(
        store.get(&k("a")).await.expect("get"),
        Some(b"one".to_vec()),
        "get leaves it"
    );
    store
        .put(&k("a"), b"two".to_vec(), long)
        .await
        .expect("put again");
    assert_eq!(
        store.get(&k("a")).await.expect("get"),
        Some(b"two".to_vec()),
        "put replaces"
    );
    assert_eq!(
        store.get(&k("none")).await.expect("get"),
        None,
        "an unknown key"
    );

    // take: single use.
    assert_eq!(
        store.take(&k("a")).await.expect("take"),
        Some(b"two".to_vec()),
        "take"
    );
    assert_eq!(
        store.take(&k("a")).await.expect("take"),
        None,
        "a second take"
    );
    assert_eq!(
        store.get(&k("a")).await.expect("get"),
        None,
        "gone after take"
    );

    // mark_once: SET NX.
    assert!(
        store.mark_once(&k("m"), long).await.expect("mark"),
        "first mark"
    );
    assert!(
        !store.mark_once(&k("m"), long).await.expect("mark"),
        "second mark"
    );
    // A put key counts as present; an empty value is a value.
    store
        .put(&k("e"), Vec::new(), long)
        .await
        .expect("put empty");
    assert_eq!(
        store.get(&k("e")).await.expect("get"),
        Some(Vec::new()),
        "empty value"
    );
    assert!(
        !store.mark_once(&k("e"), long).await.expect("mark"),
        "mark on a put key"
    );

    // Expiry, for every kind of entry.
    let short = Duration::from_millis(1000);
    store.put(&k("x"), b"v".to_vec(), short).await.expect("put");
    assert!(
        store.mark_once(&k("y"), short).await.expect("mark"),
        "mark y"
    );
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        store.get(&k("x")).await.expect("get"),
        None,
        "expired value"
    );
    assert_eq!(
        store.take(&k("x")).await.expect("take"),
        None,
        "expired take"
    );
    assert!(
        store.mark_once(&k("y"), long).await.expect("mark"),
        "an expired mark is gone"
    );
    // The long-lived ones are still there.
    assert!(
        !store.mark_once(&k("m"), long).await.expect("mark"),
        "a live mark stays"
    );
}
