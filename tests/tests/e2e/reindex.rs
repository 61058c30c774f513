//! Search keys follow the data they come from: renaming a department re-indexes its people.

use crate::common::{Backend, TestServer};
use serde_json::json;

async fn renamed_department_is_searchable(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Reindex Co").await;
    let (_, dept) = server
        .admin
        .post(
            "/api/v1/groups",
            json!({"kind": "department", "name": "Warehouse", "org_id": org}),
        )
        .await;
    let dept_id = dept["id"].as_str().unwrap();
    let (status, _) = server
        .admin
        .post(
            &format!("/api/v1/orgs/{org}/people"),
            json!({"email": "zhao@reindex.example.com", "display_name": "赵六", "department_id": dept_id}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, viewer) = server.person(&org, "Viewer", "member").await;
    let names = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["display_name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(viewer.get("/api/v1/people?q=warehouse").await.1),
        vec!["赵六"]
    );
    let (status, _) = server
        .admin
        .patch(
            &format!("/api/v1/groups/{dept_id}"),
            json!({"name": "Distribution Center"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        names(viewer.get("/api/v1/people?q=distribution").await.1),
        vec!["赵六"]
    );
    assert!(names(viewer.get("/api/v1/people?q=warehouse").await.1).is_empty());
}

both_backends!(renamed_department_is_searchable);
