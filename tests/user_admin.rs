//! `/users` for admins: list, search and page, create, role, disable/enable and password reset,
//! with the sessions of disabled or reset users ended, on both backends.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{BACKENDS, app::TestApp};
use crm::{
    audit::entity as audit_log,
    users::roster::{USERS_PER_PAGE, UserList, UserRow},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const PASSWORD: &str = "violet staircase at noon";

async fn sign_up(app: &TestApp, name: &str, email: &str) -> String {
    app.post_form("/api/signup", &[("name", name), ("email", email), ("password", PASSWORD)], None)
        .await
        .session_cookie()
        .expect("sign-up starts a session")
}

async fn login(app: &TestApp, email: &str, password: &str) -> Option<String> {
    let response = app.post_form("/api/login", &[("email", email), ("password", password)], None).await;
    response.status.is_success().then(|| response.session_cookie()).flatten()
}

async fn list(app: &TestApp, admin: &str, query: &str, page: &str) -> UserList {
    let response = app.post_form("/api/list_users", &[("q", query), ("page", page)], Some(admin)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    serde_json::from_str(&response.body).unwrap()
}

async fn create(app: &TestApp, admin: &str, name: &str, email: &str, role: &str) -> UserRow {
    let form = [("name", name), ("email", email), ("role", role), ("password", PASSWORD)];
    let response = app.post_form("/api/create_user", &form, Some(admin)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    serde_json::from_str(&response.body).unwrap()
}

#[tokio::test]
async fn admins_create_users_who_can_then_sign_in_and_list_them_by_page_and_search() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = sign_up(&app, "Admin", "admin@example.com").await;
        let created = create(&app, &admin, "Zoë Quinn", "ZOE@example.com", "user").await;
        assert_eq!((created.email.as_str(), created.active), ("zoe@example.com", true));
        assert!(login(&app, "zoe@example.com", PASSWORD).await.is_some(), "{backend:?}: the new user signs in");

        for n in 0..USERS_PER_PAGE {
            create(&app, &admin, &format!("Member {n:02}"), &format!("member{n}@example.com"), "user").await;
        }
        let first = list(&app, &admin, "", "1").await;
        assert_eq!((first.total, first.pages, first.rows.len()), (USERS_PER_PAGE + 2, 2, USERS_PER_PAGE as usize));
        let second = list(&app, &admin, "", "2").await;
        assert_eq!(second.rows.len(), 2);
        let mut names: Vec<String> = first.rows.iter().chain(&second.rows).map(|row| row.name.clone()).collect();
        let sorted = {
            let mut sorted = names.clone();
            sorted.sort();
            sorted
        };
        assert_eq!(names, sorted, "{backend:?}: by name across pages");
        names.dedup();
        assert_eq!(names.len() as u64, USERS_PER_PAGE + 2, "no row repeated");

        let found = list(&app, &admin, "zoË", "1").await;
        assert_eq!(found.rows.iter().map(|row| row.email.as_str()).collect::<Vec<_>>(), ["zoe@example.com"]);
        assert_eq!(list(&app, &admin, "MEMBER1", "1").await.total, 11, "{backend:?}: member1 and member10..19");
        assert_eq!(list(&app, &admin, "member19@", "1").await.total, 1, "{backend:?}");
        // LIKE wildcards in the query match themselves.
        assert_eq!(list(&app, &admin, "%", "1").await.total, 0);
        assert_eq!(list(&app, &admin, "_", "1").await.total, 0);
        // A page past the end shows the last page.
        assert_eq!(list(&app, &admin, "", "99").await.page, 2);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn creating_a_user_validates_every_field_and_refuses_a_taken_email() {
    let app = common::app::start(common::Backend::Sqlite).await;
    let admin = sign_up(&app, "Admin", "admin@example.com").await;
    let form = [("name", ""), ("email", "nope"), ("role", "owner"), ("password", "short")];
    let response = app.post_form("/api/create_user", &form, Some(&admin)).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["name", "email", "role", "password"] {
        assert!(response.body.contains(&format!("\"{field}\"")), "{field} in {}", response.body);
    }
    let form = [("name", "Copy"), ("email", "Admin@Example.com"), ("role", "user"), ("password", PASSWORD)];
    let response = app.post_form("/api/create_user", &form, Some(&admin)).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.body.contains("already exists"), "{}", response.body);
    assert_eq!(list(&app, &admin, "", "1").await.total, 1, "nothing was created");
    app.cleanup().await;
}

#[tokio::test]
async fn disabling_a_user_signs_them_out_and_keeps_them_out_until_enabled() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = sign_up(&app, "Admin", "admin@example.com").await;
        let user_cookie = sign_up(&app, "Bo", "bo@example.com").await;
        let bo = list(&app, &admin, "bo@", "1").await.rows.remove(0);
        assert_eq!(app.get("/", Some(&user_cookie)).await.status, StatusCode::OK);

        let id = bo.id.to_string();
        let response =
            app.post_form("/api/set_user_active", &[("user_id", id.as_str()), ("active", "false")], Some(&admin)).await;
        assert_eq!(response.status, StatusCode::OK, "{backend:?}: {}", response.body);
        assert!(!serde_json::from_str::<UserRow>(&response.body).unwrap().active);
        assert_eq!(app.get("/", Some(&user_cookie)).await.status, StatusCode::SEE_OTHER, "{backend:?}: signed out");
        assert!(login(&app, "bo@example.com", PASSWORD).await.is_none(), "{backend:?}: cannot sign in");

        app.post_form("/api/set_user_active", &[("user_id", id.as_str()), ("active", "true")], Some(&admin)).await;
        assert!(login(&app, "bo@example.com", PASSWORD).await.is_some(), "{backend:?}: enabled again");

        let changes: Vec<String> = audit_log::Entity::find()
            .filter(audit_log::Column::EntityId.eq(bo.id))
            .filter(audit_log::Column::Action.eq("update"))
            .all(&app.db.conn)
            .await
            .unwrap()
            .into_iter()
            .map(|entry| entry.changes.unwrap().to_string())
            .collect();
        assert_eq!(changes.len(), 2, "{backend:?}: {changes:?}");
        assert!(changes[0].contains("is_active"));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn roles_change_and_admins_cannot_lock_themselves_out() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = sign_up(&app, "Admin", "admin@example.com").await;
        let user_cookie = sign_up(&app, "Bo", "bo@example.com").await;
        let rows = list(&app, &admin, "", "1").await.rows;
        let (me, bo) = (rows[0].id.to_string(), rows[1].id.to_string());

        assert_eq!(app.post_form("/api/list_users", &[], Some(&user_cookie)).await.status, StatusCode::FORBIDDEN);
        let promoted =
            app.post_form("/api/set_user_role", &[("user_id", bo.as_str()), ("role", "admin")], Some(&admin)).await;
        assert_eq!(promoted.status, StatusCode::OK, "{backend:?}: {}", promoted.body);
        assert_eq!(app.post_form("/api/list_users", &[], Some(&user_cookie)).await.status, StatusCode::OK);

        for (path, form) in [
            ("/api/set_user_role", [("user_id", me.as_str()), ("role", "user")]),
            ("/api/set_user_active", [("user_id", me.as_str()), ("active", "false")]),
            ("/api/reset_user_password", [("user_id", me.as_str()), ("password", "another fine password")]),
        ] {
            let response = app.post_form(path, &form, Some(&admin)).await;
            assert_eq!(response.status, StatusCode::FORBIDDEN, "{backend:?}: {path} on oneself");
        }
        let missing =
            app.post_form("/api/set_user_role", &[("user_id", "999999"), ("role", "user")], Some(&admin)).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_password_reset_signs_the_user_out_and_the_new_password_works() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = sign_up(&app, "Admin", "admin@example.com").await;
        let user_cookie = sign_up(&app, "Bo", "bo@example.com").await;
        let bo = list(&app, &admin, "bo@", "1").await.rows.remove(0).id.to_string();

        let weak = app
            .post_form("/api/reset_user_password", &[("user_id", bo.as_str()), ("password", "password")], Some(&admin))
            .await;
        assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(weak.body.contains(&format!("\"user_id\":\"{bo}\"")), "the error names the row: {}", weak.body);
        assert_eq!(app.get("/", Some(&user_cookie)).await.status, StatusCode::OK, "nothing changed");

        let form = [("user_id", bo.as_str()), ("password", "brand new lantern song")];
        let reset = app.post_form("/api/reset_user_password", &form, Some(&admin)).await;
        assert_eq!(reset.status, StatusCode::OK, "{backend:?}: {}", reset.body);
        assert_eq!(app.get("/", Some(&user_cookie)).await.status, StatusCode::SEE_OTHER, "{backend:?}: signed out");
        assert!(login(&app, "bo@example.com", PASSWORD).await.is_none());
        assert!(login(&app, "bo@example.com", "brand new lantern song").await.is_some(), "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn admins_change_a_users_name_and_email_which_stays_unique_and_is_audited() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = sign_up(&app, "Admin", "admin@example.com").await;
        let zoe = create(&app, &admin, "Zoë Quinn", "zoe@example.com", "user").await;
        create(&app, &admin, "Max Taken", "max@example.com", "user").await;
        let rename = |user_id: i64, name: &'static str, email: &'static str, cookie: String| {
            let app = &app;
            async move {
                let id = user_id.to_string();
                app.post_form("/api/rename_user", &[("user_id", &id), ("name", name), ("email", email)], Some(&cookie))
                    .await
            }
        };

        let renamed = rename(zoe.id, "Zoë Quinn-Lee", "ZOE.LEE@example.com", admin.clone()).await;
        assert_eq!(renamed.status, StatusCode::OK, "{backend:?}: {}", renamed.body);
        let row: UserRow = serde_json::from_str(&renamed.body).unwrap();
        assert_eq!((row.name.as_str(), row.email.as_str()), ("Zoë Quinn-Lee", "zoe.lee@example.com"));
        assert!(login(&app, "zoe.lee@example.com", PASSWORD).await.is_some(), "{backend:?}: the new email signs in");
        assert!(login(&app, "zoe@example.com", PASSWORD).await.is_none(), "{backend:?}: the old one no more");

        let taken = rename(zoe.id, "Zoë", "max@example.com", admin.clone()).await;
        assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        assert!(taken.body.contains("already exists"), "{}", taken.body);
        let bad = rename(zoe.id, "", "not-an-email", admin.clone()).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        assert_eq!(list(&app, &admin, "zoe", "1").await.rows[0].name, "Zoë Quinn-Lee", "{backend:?}: unchanged");

        let zoes = login(&app, "zoe.lee@example.com", PASSWORD).await.unwrap();
        assert_eq!(rename(zoe.id, "Me", "me@example.com", zoes).await.status, StatusCode::FORBIDDEN);

        let entry = audit_log::Entity::find()
            .filter(audit_log::Column::Entity.eq("user"))
            .filter(audit_log::Column::EntityId.eq(zoe.id))
            .filter(audit_log::Column::Action.eq("update"))
            .one(&app.db.conn)
            .await
            .unwrap()
            .expect("the change is audited");
        let changes = entry.changes.unwrap();
        assert_eq!(changes["email"]["from"], "zoe@example.com", "{backend:?}");
        assert_eq!(changes["name"]["to"], "Zoë Quinn-Lee", "{backend:?}");
        app.cleanup().await;
    }
}
