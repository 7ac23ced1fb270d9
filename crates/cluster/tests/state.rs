//! The shared state a cluster keeps in PostgreSQL: alert claims, the detector position
//! and the detector lease (real PostgreSQL; skipped without it unless required).

mod support;

use firebreak_cluster::detector::DETECTOR_LOCK;
use firebreak_store::{AdvisoryLease, ClusterState};
use support::Cluster;

fn with_cluster(name: &str, f: impl FnOnce(&Cluster)) {
    let Some(cluster) = Cluster::start(name) else {
        return;
    };
    f(&cluster);
}

#[test]
fn the_detector_position_only_moves_forward() {
    with_cluster("positions", |c| {
        let s = c.store.as_ref();
        assert_eq!(s.detector_position("detectors:X").expect("read"), 0);
        s.save_detector_position("detectors:X", 40, "a")
            .expect("save");
        s.save_detector_position("detectors:X", 25, "b")
            .expect("save");
        assert_eq!(s.detector_position("detectors:X").expect("read"), 40);
    });
}

#[test]
fn the_detector_lease_has_one_holder_and_is_freed_when_its_session_ends() {
    with_cluster("lease", |c| {
        let mut first = AdvisoryLease::try_acquire(&c.db_url, DETECTOR_LOCK, "first")
            .expect("reach PostgreSQL")
            .expect("the lease is free");
        assert!(first.check().expect("check"));
        assert!(
            AdvisoryLease::try_acquire(&c.db_url, DETECTOR_LOCK, "second")
                .expect("reach PostgreSQL")
                .is_none()
        );
        drop(first);
        let mut taken = None;
        for _ in 0..100 {
            taken = AdvisoryLease::try_acquire(&c.db_url, DETECTOR_LOCK, "second")
                .expect("reach PostgreSQL");
            if taken.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let mut second = taken.expect("the lease is free again once the holder's session ends");
        assert!(second.check().expect("check"));
    });
}

#[test]
fn a_lease_holder_sees_it_lost_its_lease_when_the_database_restarts() {
    let Some(mut cluster) = Cluster::start("leaselost") else {
        return;
    };
    let mut lease = AdvisoryLease::try_acquire(&cluster.db_url, DETECTOR_LOCK, "holder")
        .expect("reach PostgreSQL")
        .expect("the lease is free");
    cluster.pg.stop();
    cluster.pg.resume();
    assert!(
        !matches!(lease.check(), Ok(true)),
        "a lock held on a session that ended is not held"
    );
}
