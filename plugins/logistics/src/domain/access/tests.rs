use super::*;
use crate::domain::shipment::{NewShipment, OrgRef, Shipment};
use crate::domain::testkit::*;

fn kai() -> Viewer {
    guest("kai", CARRIER2)
}

fn dora() -> Viewer {
    guest("dora", DEALER2)
}

/// Everyone who could be in the shared group, and a few more.
fn everyone() -> Vec<(&'static str, Viewer)> {
    vec![
        ("staff", alice()),
        (
            "staff admin",
            Viewer {
                org_admin: true,
                ..staff("olga")
            },
        ),
        ("maker guest", guest("gina", MAKER)),
        (
            "staff of another org",
            Viewer {
                org_id: "org-other".into(),
                ..staff("otto")
            },
        ),
        ("carrier", lina()),
        (
            "carrier admin",
            Viewer {
                org_admin: true,
                staff: true,
                ..guest("lars", CARRIER)
            },
        ),
        ("other carrier", kai()),
        ("dealer", dan()),
        ("other dealer", dora()),
        ("driver", dave()),
        ("driver's colleague", guest("dirk", SUBCONTRACTOR)),
        (
            "carrier system",
            Viewer::partner_system("tms", CARRIER, "Swift TMS"),
        ),
        (
            "other carrier system",
            Viewer::partner_system("tms2", CARRIER2, "Other TMS"),
        ),
        (
            "system named like the driver",
            Viewer {
                person_id: "dave".into(),
                ..Viewer::partner_system("x", "org-x", "X")
            },
        ),
    ]
}

/// Who sees the shipment at each stage: created (no carrier), offered to the carrier,
/// accepted with a driver.
#[test]
fn visibility_matrix() {
    let stages = [
        ("created", created()),
        ("published", published()),
        ("assigned", assigned()),
    ];
    let expected: &[(&str, [bool; 3])] = &[
        ("staff", [true, true, true]),
        ("staff admin", [true, true, true]),
        ("maker guest", [false, false, false]),
        ("staff of another org", [false, false, false]),
        ("carrier", [false, true, true]),
        ("carrier admin", [false, true, true]),
        ("other carrier", [false, false, false]),
        ("dealer", [true, true, true]),
        ("other dealer", [false, false, false]),
        ("driver", [false, false, true]),
        ("driver's colleague", [false, false, false]),
        ("carrier system", [false, true, true]),
        ("other carrier system", [false, false, false]),
        ("system named like the driver", [false, false, false]),
    ];
    let people = everyone();
    assert_eq!(people.len(), expected.len());
    for ((who, v), (name, want)) in people.iter().zip(expected) {
        assert_eq!(who, name);
        for ((stage, s), want) in stages.iter().zip(want) {
            assert_eq!(can_see(v, s), *want, "{who} at {stage}");
        }
    }
}

#[test]
fn roles_on_a_shipment() {
    let s = assigned();
    assert_eq!(roles(&alice(), &s), [Role::Staff, Role::Shipper]);
    assert_eq!(roles(&lina(), &s), [Role::Carrier]);
    assert_eq!(roles(&dan(), &s), [Role::Consignee]);
    assert_eq!(roles(&dave(), &s), [Role::Driver]);
    assert!(roles(&kai(), &s).is_empty());
    // A driver employed by the carrier is both.
    let mut s2 = s.clone();
    s2.driver = Some(lina().person());
    assert_eq!(roles(&lina(), &s2), [Role::Carrier, Role::Driver]);
    // The dealer's own truck: the consignee is also the carrier.
    let mut s3 = s.clone();
    s3.carrier = Some(OrgRef::new(DEALER, "North Dealer"));
    assert_eq!(roles(&dan(), &s3), [Role::Carrier, Role::Consignee]);
    for r in [
        Role::Staff,
        Role::Shipper,
        Role::Carrier,
        Role::Consignee,
        Role::Driver,
    ] {
        assert_ne!(r.label(Lang::En), r.label(Lang::Zh));
    }
}

#[test]
fn a_partner_shipper_is_the_shipper() {
    // The supplier ships to the dealer; the manufacturer's plugin tracks it.
    let new = NewShipment {
        shipper: OrgRef::new("org-supplier", "Parts Co"),
        ..new_shipment()
    };
    let s = Shipment::create("s2", MAKER, "WB2", &new, &alice(), T0).unwrap();
    let sam = guest("sam", "org-supplier");
    assert_eq!(roles(&sam, &s), [Role::Shipper]);
    assert_eq!(roles(&alice(), &s), [Role::Staff]);
    assert!(can(&sam, &s, Action::Publish));
    assert!(can(&sam, &s, Action::Cancel));
    assert!(!can(&sam, &s, Action::UpdateEta));
    assert!(!can(&sam, &s, Action::RecordStatus(Status::PickedUp)));
}

#[test]
fn outsiders_in_the_same_group_see_nothing_and_do_nothing() {
    let s = assigned();
    let actions = [
        Action::View,
        Action::Publish,
        Action::Cancel,
        Action::Accept,
        Action::Decline,
        Action::Assign,
        Action::RecordStatus(Status::Delivered),
        Action::UpdateEta,
        Action::AttachDocument,
    ];
    for v in [
        kai(),
        dora(),
        guest("gina", MAKER),
        guest("dirk", SUBCONTRACTOR),
    ] {
        assert!(roles(&v, &s).is_empty());
        for a in actions {
            assert_eq!(
                check(&v, &s, a),
                Err(ShipmentError::NotFound),
                "{v:?} {a:?}"
            );
        }
    }
    let list = [created(), published(), assigned()];
    assert_eq!(visible(&kai(), &list).len(), 0);
    assert_eq!(visible(&lina(), &list).len(), 2);
    assert_eq!(visible(&dave(), &list).len(), 1);
    assert_eq!(visible(&dan(), &list).len(), 3);
    assert_eq!(visible(&alice(), &list).len(), 3);
}

#[test]
fn permission_table() {
    use Role::*;
    let each = [Staff, Shipper, Carrier, Consignee, Driver];
    // For each action, the single roles allowed.
    let table: Vec<(Action, Vec<Role>)> = vec![
        (Action::Create, vec![Staff]),
        (Action::View, each.to_vec()),
        (Action::AttachDocument, each.to_vec()),
        (Action::Publish, vec![Staff, Shipper]),
        (Action::Cancel, vec![Staff, Shipper]),
        (
            Action::RecordStatus(Status::Cancelled),
            vec![Staff, Shipper],
        ),
        (Action::Accept, vec![Staff, Carrier]),
        (Action::Decline, vec![Staff, Carrier]),
        (Action::Assign, vec![Staff, Carrier]),
        (Action::RecordStatus(Status::Accepted), vec![Staff, Carrier]),
        (Action::UpdateEta, vec![Staff, Carrier, Driver]),
        (
            Action::RecordStatus(Status::Delivered),
            vec![Staff, Carrier, Consignee, Driver],
        ),
        (
            Action::RecordStatus(Status::FailedDelivery),
            vec![Staff, Carrier, Consignee, Driver],
        ),
    ];
    for (action, allowed) in &table {
        for role in each {
            assert_eq!(
                may(&[role], *action),
                allowed.contains(&role),
                "{role:?} {action:?}"
            );
        }
        assert!(!may(&[], *action));
    }
    for status in Status::ALL {
        if matches!(
            status,
            Status::Cancelled | Status::Accepted | Status::Delivered | Status::FailedDelivery
        ) {
            continue;
        }
        for role in each {
            let want = matches!(role, Staff | Carrier | Driver);
            assert_eq!(
                may(&[role], Action::RecordStatus(status)),
                want,
                "{role:?} {status:?}"
            );
        }
    }
    // Seeing but not allowed: Forbidden, with the action named.
    let s = assigned();
    let e = check(&dan(), &s, Action::UpdateEta).unwrap_err();
    assert_eq!(e, ShipmentError::Forbidden(Action::UpdateEta));
    assert_eq!(
        e.en(),
        "You may not do this on this shipment: update the ETA."
    );
    assert_eq!(e.zh(), "你不能对该运单执行此操作：更新预计到达时间。");
}

#[test]
fn creating_and_administering() {
    assert!(can_create(&alice(), MAKER));
    assert!(!can_create(&alice(), "org-other"));
    assert!(!can_create(&guest("gina", MAKER), MAKER));
    assert!(!can_create(
        &Viewer::partner_system("p", MAKER, "ERP"),
        MAKER
    ));
    assert!(!can_administer(&alice(), MAKER));
    let admin = Viewer {
        org_admin: true,
        ..alice()
    };
    assert!(can_administer(&admin, MAKER));
    let partner_admin = Viewer {
        org_admin: true,
        staff: true,
        ..lina()
    };
    assert!(!can_administer(&partner_admin, MAKER));
}

#[test]
fn who_hears_about_what() {
    use Role::*;
    let s = assigned();
    let status = |status, previous, applied| Change::Status {
        status,
        previous,
        applied,
    };
    let cases: Vec<(Change, Vec<Role>)> = vec![
        (Change::Created, vec![]),
        (Change::Published { carrier: carrier() }, vec![Carrier]),
        (
            Change::Declined { carrier: carrier() },
            vec![Staff, Shipper],
        ),
        (
            Change::Assigned {
                driver_changed: true,
            },
            vec![Staff, Shipper, Driver],
        ),
        (
            Change::Assigned {
                driver_changed: false,
            },
            vec![Staff, Shipper],
        ),
        (
            status(Status::Accepted, Status::Created, true),
            vec![Staff, Shipper],
        ),
        (
            status(Status::PickedUp, Status::Accepted, true),
            vec![Staff, Shipper, Consignee],
        ),
        (status(Status::InTransit, Status::PickedUp, true), vec![]),
        (status(Status::Arrived, Status::InTransit, true), vec![]),
        (
            status(Status::Delayed, Status::InTransit, true),
            vec![Staff, Shipper, Consignee],
        ),
        (
            status(Status::OnHold, Status::InTransit, true),
            vec![Staff, Shipper, Consignee],
        ),
        (
            status(Status::FailedDelivery, Status::OutForDelivery, true),
            vec![Staff, Shipper, Consignee],
        ),
        (
            status(Status::InTransit, Status::Delayed, true),
            vec![Staff, Shipper, Consignee],
        ),
        (
            status(Status::Delivered, Status::InTransit, true),
            vec![Staff, Shipper, Consignee],
        ),
        (
            status(Status::Returned, Status::FailedDelivery, true),
            vec![Staff, Shipper, Consignee],
        ),
        (
            status(Status::Cancelled, Status::Accepted, true),
            vec![Carrier, Consignee, Driver],
        ),
        (status(Status::Delayed, Status::InTransit, false), vec![]),
        (
            Change::Eta {
                eta_ms: T0,
                previous_ms: None,
                later: true,
            },
            vec![Staff, Shipper, Consignee],
        ),
        (
            Change::Document {
                kind: crate::domain::shipment::DocumentKind::ProofOfDelivery,
            },
            vec![Staff, Shipper, Consignee],
        ),
        (
            Change::Document {
                kind: crate::domain::shipment::DocumentKind::Invoice,
            },
            vec![],
        ),
        (Change::Unchanged, vec![]),
    ];
    for (change, want) in cases {
        let mut want = want;
        want.sort();
        assert_eq!(subscribers(&s, &change), want, "{change:?}");
    }
    // Roles nobody holds are left out.
    let c = created();
    assert_eq!(
        subscribers(&c, &status(Status::Cancelled, Status::Created, true)),
        [Consignee]
    );
}

#[test]
fn actions_serialize_with_their_status() {
    assert_eq!(
        serde_json::to_value(Action::RecordStatus(Status::Delivered)).unwrap(),
        serde_json::json!({"kind": "record_status", "status": "delivered"})
    );
    assert_eq!(
        serde_json::to_value(Action::Publish).unwrap(),
        serde_json::json!({"kind": "publish"})
    );
    for a in [
        Action::Create,
        Action::View,
        Action::Publish,
        Action::Cancel,
        Action::Accept,
        Action::Decline,
        Action::Assign,
        Action::RecordStatus(Status::Arrived),
        Action::UpdateEta,
        Action::AttachDocument,
    ] {
        assert_ne!(a.label(Lang::En), a.label(Lang::Zh));
    }
}
