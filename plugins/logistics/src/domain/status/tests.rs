use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

/// The table of the module documentation, written out independently of the code.
const TABLE: &[(&str, &str)] = &[
    ("created", "accepted on_hold cancelled"),
    ("accepted", "picked_up arrived delayed on_hold cancelled"),
    (
        "picked_up",
        "picked_up in_transit arrived out_for_delivery delayed on_hold failed_delivery delivered returned",
    ),
    (
        "in_transit",
        "in_transit arrived out_for_delivery delayed on_hold failed_delivery delivered returned",
    ),
    (
        "arrived",
        "picked_up in_transit arrived out_for_delivery delayed on_hold failed_delivery delivered returned",
    ),
    (
        "out_for_delivery",
        "arrived out_for_delivery delayed on_hold failed_delivery delivered returned",
    ),
    ("delivered", ""),
    ("returned", ""),
    ("cancelled", ""),
];

fn s(code: &str) -> Status {
    Status::parse(code).unwrap_or_else(|| panic!("no status {code}"))
}

fn expected_row(from: Status) -> BTreeSet<Status> {
    let (_, to) = TABLE
        .iter()
        .find(|(f, _)| *f == from.code())
        .expect("a row");
    to.split_whitespace().map(s).collect()
}

/// What the documentation promises for an exception with a base.
fn expected_exception(from: Status, base: Status) -> BTreeSet<Status> {
    let mut out = expected_row(base);
    out.insert(from);
    out.insert(base);
    let moving = matches!(base, PickedUp | InTransit | Arrived | OutForDelivery);
    if from == FailedDelivery && moving {
        out.extend([InTransit, Arrived, OutForDelivery]);
    }
    out
}

const PROGRESS: [Status; 6] = [
    Created,
    Accepted,
    PickedUp,
    InTransit,
    Arrived,
    OutForDelivery,
];
const EXCEPTIONS: [Status; 3] = [Delayed, OnHold, FailedDelivery];

#[test]
fn every_move_from_a_progress_or_terminal_status_follows_the_table() {
    for from in Status::ALL.into_iter().filter(|s| !s.is_exception()) {
        let want = expected_row(from);
        for base in Status::ALL {
            for to in Status::ALL {
                let allowed = want.contains(&to);
                assert_eq!(
                    can_move(from, base, to),
                    allowed,
                    "{from:?} (base {base:?}) → {to:?}"
                );
                assert_eq!(check(from, base, to).is_ok(), allowed);
            }
            assert_eq!(
                targets(from, base),
                want.iter().copied().collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn every_move_from_an_exception_follows_the_table() {
    for from in EXCEPTIONS {
        for base in PROGRESS {
            let want = expected_exception(from, base);
            for to in Status::ALL {
                assert_eq!(
                    can_move(from, base, to),
                    want.contains(&to),
                    "{from:?} (base {base:?}) → {to:?}"
                );
            }
        }
    }
}

#[test]
fn nothing_leaves_a_terminal_status() {
    for from in [Delivered, Returned, Cancelled] {
        assert!(from.is_terminal());
        for base in Status::ALL {
            assert!(targets(from, base).is_empty());
            for to in Status::ALL {
                assert_eq!(check(from, base, to).map_err(|r| r.why), Err(Why::Closed));
            }
        }
    }
}

#[test]
fn kinds_and_reasons() {
    let terminal: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .collect();
    assert_eq!(terminal, [Delivered, Returned, Cancelled]);
    let exceptions: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| s.is_exception())
        .collect();
    assert_eq!(exceptions, [Delayed, FailedDelivery, OnHold]);
    let progress: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| s.is_progress())
        .collect();
    assert_eq!(
        progress,
        [
            Created,
            Accepted,
            PickedUp,
            InTransit,
            OutForDelivery,
            Arrived
        ]
    );
    let need: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| s.needs_reason())
        .collect();
    assert_eq!(need, [Delayed, FailedDelivery, OnHold, Returned]);
}

#[test]
fn every_refusal_is_explained_in_both_languages() {
    for from in Status::ALL {
        for base in PROGRESS {
            for to in Status::ALL {
                let Err(r) = check(from, base, to) else {
                    continue;
                };
                let (en, zh) = (r.message(Lang::En), r.message(Lang::Zh));
                assert!(!en.is_empty() && !zh.is_empty());
                assert_ne!(en, zh);
                assert!(!zh.is_ascii(), "{zh}");
                if !matches!(
                    r.why,
                    Why::CreatedIsFirst
                        | Why::AlreadyAccepted
                        | Why::CannotCancelPickedUp
                        | Why::NotPickedUp
                ) {
                    assert!(en.contains(to.label(Lang::En)), "{en}");
                    assert!(zh.contains(to.label(Lang::Zh)), "{zh}");
                }
            }
        }
    }
}

#[test]
fn refusals_say_why_in_words() {
    let msg = |from, base, to| {
        let r = check(from, base, to).expect_err("refused");
        (r.why, r.message(Lang::En), r.message(Lang::Zh))
    };
    assert_eq!(
        msg(Delivered, Delivered, InTransit),
        (
            Why::Closed,
            "The shipment is delivered: a closed shipment cannot go back to “In transit”.".into(),
            "运单已签收，已经结束，不能再改回“运输中”。".into()
        )
    );
    assert_eq!(
        msg(Cancelled, Cancelled, Delivered).1,
        "The shipment is already cancelled; it cannot be marked “Delivered” as well."
    );
    assert_eq!(msg(InTransit, InTransit, Created).0, Why::CreatedIsFirst);
    assert_eq!(msg(InTransit, InTransit, Accepted).0, Why::AlreadyAccepted);
    assert_eq!(msg(Accepted, Accepted, Accepted).0, Why::AlreadyAccepted);
    assert_eq!(
        msg(Created, Created, PickedUp),
        (
            Why::NotAccepted,
            "The carrier has not accepted the shipment yet, so it cannot be “Picked up”.".into(),
            "承运商尚未接单，运单不能变为“已提货”。".into()
        )
    );
    assert_eq!(msg(Accepted, Accepted, Delivered).0, Why::NotPickedUp);
    assert_eq!(
        msg(Accepted, Accepted, Returned).1,
        "The goods have not been picked up yet: cancel the shipment instead of returning it."
    );
    assert_eq!(
        msg(InTransit, InTransit, Cancelled),
        (
            Why::CannotCancelPickedUp,
            "The goods have already been picked up: record a return instead of cancelling.".into(),
            "货物已经提货，不能取消，请登记退回。".into()
        )
    );
    assert_eq!(
        msg(OutForDelivery, OutForDelivery, InTransit),
        (
            Why::Backwards,
            "The shipment is out for delivery: it cannot go back to “In transit”.".into(),
            "运单正在派送，不能退回到“运输中”。".into()
        )
    );
    // An exception explains itself from where the shipment was.
    assert_eq!(
        msg(Delayed, OutForDelivery, PickedUp).1,
        "The shipment is out for delivery: it cannot go back to “Picked up”."
    );
    assert_eq!(msg(OnHold, Accepted, InTransit).0, Why::NotPickedUp);
    assert_eq!(
        msg(Delayed, InTransit, Cancelled).0,
        Why::CannotCancelPickedUp
    );
}

#[test]
fn exceptions_resume_where_the_shipment_was() {
    assert!(can_move(Delayed, InTransit, InTransit));
    assert!(can_move(OnHold, Created, Created));
    assert!(can_move(OnHold, Accepted, Accepted));
    assert!(can_move(OnHold, Accepted, Cancelled));
    assert!(!can_move(OnHold, PickedUp, Cancelled));
    assert!(can_move(Delayed, OutForDelivery, Delivered));
    assert!(!can_move(Delayed, OutForDelivery, InTransit));
    assert!(can_move(FailedDelivery, OutForDelivery, InTransit));
    assert!(can_move(FailedDelivery, OutForDelivery, OutForDelivery));
    assert!(can_move(FailedDelivery, OutForDelivery, Returned));
    assert!(can_move(Delayed, InTransit, OnHold));
    assert!(can_move(OnHold, InTransit, Delayed));
    assert!(!can_move(OnHold, Created, Delayed));
    // A base that is not a progress status is never a resume target.
    assert!(!can_move(Delayed, Delivered, Delivered));
}

#[test]
fn codes_labels_and_serde_agree() {
    for st in Status::ALL {
        assert_eq!(
            serde_json::to_string(&st).unwrap(),
            format!("\"{}\"", st.code())
        );
        assert_eq!(Status::parse(st.code()), Some(st));
        assert_ne!(st.label(Lang::En), st.label(Lang::Zh));
    }
    assert_eq!(Status::parse("Delivered"), None);
    for r in Reason::ALL {
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            format!("\"{}\"", r.code())
        );
        assert_eq!(Reason::parse(r.code()), Some(r));
        assert_ne!(r.label(Lang::En), r.label(Lang::Zh));
    }
    for k in TimeKind::ALL {
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            format!("\"{}\"", k.code())
        );
        assert_eq!(TimeKind::parse(k.code()), Some(k));
        assert_ne!(k.label(Lang::En), k.label(Lang::Zh));
    }
    for src in Source::ALL {
        assert_eq!(
            serde_json::to_string(&src).unwrap(),
            format!("\"{}\"", src.code())
        );
        assert_ne!(src.label(Lang::En), src.label(Lang::Zh));
    }
    let labels: BTreeSet<&str> = Status::ALL.iter().map(|s| s.label(Lang::Zh)).collect();
    assert_eq!(
        labels.len(),
        Status::ALL.len(),
        "Chinese labels are distinct"
    );
}

fn any_status() -> impl Strategy<Value = Status> {
    (0..Status::ALL.len()).prop_map(|i| Status::ALL[i])
}

proptest! {
    #[test]
    fn check_never_panics_and_agrees_with_can_move(
        from in any_status(), base in any_status(), to in any_status()
    ) {
        let r = check(from, base, to);
        prop_assert_eq!(r.is_ok(), can_move(from, base, to));
        if let Err(r) = r {
            prop_assert!(!r.message(Lang::En).is_empty());
            prop_assert!(!r.message(Lang::Zh).is_empty());
        }
        if from.is_terminal() {
            prop_assert!(!can_move(from, base, to));
        }
    }

    /// Walking the machine at random never leaves a terminal status, and `created` is
    /// only ever reached again by resuming from a hold placed before acceptance.
    #[test]
    fn random_walks_stay_in_the_machine(steps in prop::collection::vec(any_status(), 0..60)) {
        let (mut status, mut base) = (Created, Created);
        for to in steps {
            if check(status, base, to).is_err() {
                continue;
            }
            prop_assert!(!status.is_terminal());
            if to == Created {
                prop_assert!(status == OnHold && base == Created);
            }
            status = to;
            if to.is_progress() {
                base = to;
            }
        }
    }
}
