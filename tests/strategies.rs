//! Strategies through their server functions, on both backends: create, read, update, validation,
//! ownership, search/sort/paging, duplicate, delete (moving clients in one transaction) and the
//! audit log; plus the editor pages rendered on the server and plain form posts.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{BACKENDS, Backend, app::TestApp};
use crm::{
    audit::entity as audit_log,
    strategies::model::{STRATEGIES_PER_PAGE, Strategy, StrategyDetails, StrategyList, StrategyOption, TurnRole},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Alias, Expr, ExprTrait, Query},
};

const PASSWORD: &str = "violet staircase at noon";

/// The first account is the admin; later ones are ordinary users.
async fn sign_up(app: &TestApp, name: &str, email: &str) -> String {
    app.post_form("/api/signup", &[("name", name), ("email", email), ("password", PASSWORD)], None)
        .await
        .session_cookie()
        .expect("sign-up starts a session")
}

struct People {
    admin: String,
    ana: String,
    bo: String,
}

async fn people(app: &TestApp) -> People {
    People {
        admin: sign_up(app, "Admin", "admin@example.com").await,
        ana: sign_up(app, "Ana", "ana@example.com").await,
        bo: sign_up(app, "Bo", "bo@example.com").await,
    }
}

fn form<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("name", "Friendly closer"),
        ("tag", "saas"),
        ("tone", "Warm and brief"),
        ("ai_instructions", "Ask one question at a time."),
        ("objective", "Book a demo."),
        ("objection_handling", "Too expensive: talk about the time it saves."),
        ("qualification_priority", "Team size, then budget."),
        ("disqualification_criteria", "Students."),
        ("creativity", "6"),
        ("example_conversation", "Lead: Hi, how much is it?\nAI: It depends on your team. How many are you?"),
        ("reply_delay_min", "10"),
        ("reply_delay_max", "40"),
    ];
    for (key, value) in overrides {
        form.retain(|(k, _)| k != key);
        form.push((key, value));
    }
    form
}

async fn create(app: &TestApp, cookie: &str, overrides: &[(&str, &str)]) -> Strategy {
    let response = app.post_form("/api/create_strategy", &form(overrides), Some(cookie)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    let strategy: Strategy = serde_json::from_str(&response.body).unwrap();
    assert_eq!(response.location(), Some(format!("/strategies/{}?created=1", strategy.id).as_str()));
    strategy
}

async fn update(app: &TestApp, cookie: &str, id: i64, overrides: &[(&str, &str)]) -> common::app::TestResponse {
    let id = id.to_string();
    let mut fields = form(overrides);
    fields.push(("id", &id));
    app.post_form("/api/update_strategy", &fields, Some(cookie)).await
}

async fn details(app: &TestApp, cookie: &str, id: i64) -> Result<StrategyDetails, StatusCode> {
    let response = app.post_form("/api/get_strategy", &[("id", &id.to_string())], Some(cookie)).await;
    if response.status == StatusCode::OK {
        Ok(serde_json::from_str(&response.body).unwrap())
    } else {
        Err(response.status)
    }
}

async fn list(app: &TestApp, cookie: &str, query: &str, sort: &str, page: &str) -> StrategyList {
    let response =
        app.post_form("/api/list_strategies", &[("q", query), ("sort", sort), ("page", page)], Some(cookie)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    serde_json::from_str(&response.body).unwrap()
}

fn names(list: &StrategyList) -> Vec<String> {
    list.rows.iter().map(|row| row.name.clone()).collect()
}

async fn delete(app: &TestApp, cookie: &str, id: i64, move_to: &str) -> common::app::TestResponse {
    app.post_form("/api/delete_strategy", &[("id", &id.to_string()), ("move_clients_to", move_to)], Some(cookie)).await
}

/// Clients have no server functions yet: they are inserted directly.
async fn insert_client(app: &TestApp, owner_id: i64, strategy_id: i64, name: &str) -> i64 {
    let now = chrono::Utc::now();
    let insert = Query::insert()
        .into_table(Alias::new("clients"))
        .columns(["owner_id", "strategy_id", "name", "status", "created_at", "updated_at"].map(Alias::new))
        .values_panic([owner_id.into(), strategy_id.into(), name.into(), "lead".into(), now.into(), now.into()])
        .returning_col(Alias::new("id"))
        .to_owned();
    let row = app.db.conn.query_one(&insert).await.unwrap().unwrap();
    row.try_get::<i64>("", "id").unwrap()
}

async fn strategy_of_client(app: &TestApp, client_id: i64) -> i64 {
    let select = Query::select()
        .column(Alias::new("strategy_id"))
        .from(Alias::new("clients"))
        .and_where(Expr::col(Alias::new("id")).eq(client_id))
        .to_owned();
    app.db.conn.query_one(&select).await.unwrap().unwrap().try_get::<i64>("", "strategy_id").unwrap()
}

async fn audit_of(app: &TestApp, entity: &str, id: i64) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq(entity))
        .filter(audit_log::Column::EntityId.eq(id))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db.conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_strategy_round_trips_through_create_read_and_update_and_is_audited() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let people = people(&app).await;
        let created = create(&app, &people.ana, &[("name", "  Friendly closer  "), ("tone", "")]).await;
        let fields = &created.fields;
        assert_eq!((fields.name.as_str(), fields.tone.as_str()), ("Friendly closer", ""), "{backend:?}: trimmed");
        assert_eq!((fields.creativity, fields.reply_delay_min, fields.reply_delay_max), (6, 10, 40));
        assert_eq!(fields.example_conversation.len(), 2);
        assert_eq!(fields.example_conversation[1].role, TurnRole::Ai);

        let read = details(&app, &people.ana, created.id).await.unwrap();
        assert_eq!(read.strategy, created, "{backend:?}: what was stored comes back");
        assert_eq!((read.owner_name.as_str(), read.owned_by_viewer, read.clients_using), ("Ana", true, 0));

        let response = update(
            &app,
            &people.ana,
            created.id,
            &[("tone", "Calm"), ("creativity", "2"), ("example_conversation", "Lead: Hello?")],
        )
        .await;
        assert_eq!(response.status, StatusCode::OK, "{backend:?}: {}", response.body);
        let updated = details(&app, &people.ana, created.id).await.unwrap().strategy;
        assert_eq!((updated.fields.tone.as_str(), updated.fields.creativity), ("Calm", 2));
        assert_eq!(updated.fields.example_conversation.len(), 1);
        assert_eq!(updated.fields.name, "Friendly closer");
        assert!(updated.updated_at > created.updated_at, "{backend:?}");
        assert_eq!(updated.created_at, created.created_at);

        let entries = audit_of(&app, "strategy", created.id).await;
        assert_eq!(entries.iter().map(|entry| entry.action.as_str()).collect::<Vec<_>>(), ["create", "update"]);
        assert_eq!(entries[0].actor_id, Some(created.owner_id));
        let recorded = entries[0].changes.as_ref().unwrap();
        assert_eq!(recorded["name"]["to"], "Friendly closer", "{backend:?}: {recorded}");
        assert!(recorded.get("tone").is_none(), "an empty field is not recorded as set: {recorded}");
        let changes = entries[1].changes.as_ref().unwrap();
        for field in ["tone", "creativity", "example_conversation"] {
            assert!(changes.get(field).is_some(), "{backend:?}: {field} in {changes}");
        }
        assert_eq!(changes["creativity"], serde_json::json!({ "from": 6, "to": 2 }));
        assert!(changes.get("name").is_none(), "unchanged fields are not recorded: {changes}");

        // Saving the same values again changes nothing and records nothing.
        let same = [("tone", "Calm"), ("creativity", "2"), ("example_conversation", "Lead: Hello?")];
        assert_eq!(update(&app, &people.ana, created.id, &same).await.status, StatusCode::OK);
        assert_eq!(audit_of(&app, "strategy", created.id).await.len(), 2, "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn invalid_fields_are_refused_one_by_one_and_nothing_is_written() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let people = people(&app).await;
        let long_tag = "t".repeat(101);
        let bad = [
            ("name", " "),
            ("tag", long_tag.as_str()),
            ("creativity", "11"),
            ("example_conversation", "Lead: Hi\nCustomer: Hello"),
            ("reply_delay_min", "90"),
            ("reply_delay_max", "30"),
        ];
        let response = app.post_form("/api/create_strategy", &form(&bad), Some(&people.ana)).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: {}", response.body);
        let crm::shared::AppError::Validation(errors) = serde_json::from_str(&response.body).unwrap() else {
            panic!("a validation error: {}", response.body);
        };
        assert_eq!(
            errors.keys().map(String::as_str).collect::<Vec<_>>(),
            ["creativity", "example_conversation", "name", "reply_delay_max", "tag"],
            "{backend:?}"
        );
        assert!(errors["example_conversation"].starts_with("Line 2:"), "{errors:?}");
        assert_eq!(list(&app, &people.ana, "", "", "1").await.total, 0, "{backend:?}: nothing was created");
        assert!(
            audit_log::Entity::find()
                .filter(audit_log::Column::Entity.eq("strategy"))
                .all(&app.db.conn)
                .await
                .unwrap()
                .is_empty()
        );

        let strategy = create(&app, &people.ana, &[]).await;
        let response = update(&app, &people.ana, strategy.id, &[("name", "Renamed"), ("reply_delay_min", "-5")]).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        assert!(response.body.contains("reply_delay_min"), "{}", response.body);
        assert_eq!(details(&app, &people.ana, strategy.id).await.unwrap().strategy, strategy, "{backend:?}: unchanged");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn users_reach_only_their_own_strategies_and_admins_reach_everyone_s() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let people = people(&app).await;
        let anas = create(&app, &people.ana, &[("name", "Ana's persona")]).await;
        let bos = create(&app, &people.bo, &[("name", "Bo's persona")]).await;

        assert_eq!(details(&app, &people.bo, anas.id).await, Err(StatusCode::NOT_FOUND), "{backend:?}: not 403");
        assert_eq!(update(&app, &people.bo, anas.id, &[("name", "Taken")]).await.status, StatusCode::NOT_FOUND);
        let copy = app.post_form("/api/duplicate_strategy", &[("id", &anas.id.to_string())], Some(&people.bo)).await;
        assert_eq!(copy.status, StatusCode::NOT_FOUND);
        assert_eq!(delete(&app, &people.bo, anas.id, "").await.status, StatusCode::NOT_FOUND);
        assert_eq!(names(&list(&app, &people.bo, "", "", "1").await), ["Bo's persona"], "{backend:?}");
        let bo_options: Vec<StrategyOption> =
            serde_json::from_str(&app.post_form("/api/strategy_options", &[], Some(&people.bo)).await.body).unwrap();
        assert_eq!(bo_options, [StrategyOption { id: bos.id, name: "Bo's persona".to_owned() }]);
        assert_eq!(details(&app, &people.ana, anas.id).await.unwrap().strategy.fields.name, "Ana's persona");

        let everyone = list(&app, &people.admin, "", "name", "1").await;
        assert!(everyone.shows_owners);
        let rows: Vec<(String, Option<String>)> =
            everyone.rows.iter().map(|row| (row.name.clone(), row.owner_name.clone())).collect();
        assert_eq!(
            rows,
            [("Ana's persona".to_owned(), Some("Ana".to_owned())), ("Bo's persona".to_owned(), Some("Bo".to_owned()))],
            "{backend:?}"
        );
        assert!(list(&app, &people.ana, "", "", "1").await.rows.iter().all(|row| row.owner_name.is_none()));
        let seen_by_admin = details(&app, &people.admin, anas.id).await.unwrap();
        assert_eq!((seen_by_admin.owner_name.as_str(), seen_by_admin.owned_by_viewer), ("Ana", false));
        let response =
            update(&app, &people.admin, anas.id, &[("name", "Ana's persona"), ("tone", "Edited by admin")]).await;
        assert_eq!(response.status, StatusCode::OK, "{backend:?}: {}", response.body);
        let entry = audit_of(&app, "strategy", anas.id).await.pop().unwrap();
        assert_ne!(entry.actor_id, Some(anas.owner_id), "the admin is recorded as the actor");

        let anonymous = app.post_form("/api/get_strategy", &[("id", &anas.id.to_string())], None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn lists_search_by_name_or_tag_sort_and_page() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let people = people(&app).await;
        let total = STRATEGIES_PER_PAGE + 3;
        let mut created = Vec::new();
        for n in 0..total {
            let name = format!("{} persona {n:02}", if n % 2 == 0 { "Even" } else { "odd" });
            let tag = if n == 7 { "100%_real" } else { "plain" };
            created.push(create(&app, &people.ana, &[("name", name.as_str()), ("tag", tag)]).await);
        }
        create(&app, &people.bo, &[("name", "Bo's own")]).await;

        let first = list(&app, &people.ana, "", "name", "1").await;
        assert_eq!((first.total, first.pages, first.rows.len()), (total, 2, STRATEGIES_PER_PAGE as usize));
        let second = list(&app, &people.ana, "", "name", "2").await;
        assert_eq!(second.rows.len(), 3);
        let by_name: Vec<String> = names(&first).into_iter().chain(names(&second)).collect();
        let mut expected = by_name.clone();
        expected.sort_by_key(|name| name.to_lowercase());
        assert_eq!(by_name, expected, "{backend:?}: by name, ignoring case, across pages");
        assert_eq!(by_name[0], "Even persona 00");

        // Newest first; the most recently changed first.
        let newest = list(&app, &people.ana, "", "created", "1").await;
        assert_eq!(newest.rows[0].id, created.last().unwrap().id, "{backend:?}");
        let response = update(
            &app,
            &people.ana,
            created[0].id,
            &[("name", "Even persona 00"), ("tag", "plain"), ("tone", "Changed")],
        )
        .await;
        assert_eq!(response.status, StatusCode::OK);
        let changed = list(&app, &people.ana, "", "updated", "1").await;
        assert_eq!(changed.rows[0].id, created[0].id, "{backend:?}");
        assert_eq!(list(&app, &people.ana, "", "whatever", "1").await.rows[0].id, created[0].id, "default sort");

        assert_eq!(list(&app, &people.ana, "ODD", "", "1").await.total, total / 2, "{backend:?}: case-insensitive");
        assert_eq!(
            names(&list(&app, &people.ana, "persona 2", "name", "1").await),
            ["Even persona 20", "Even persona 22", "odd persona 21"]
        );
        // Tags are searched too, and LIKE wildcards match themselves.
        assert_eq!(list(&app, &people.ana, "100%_", "", "1").await.total, 1, "{backend:?}");
        assert_eq!(list(&app, &people.ana, "%", "", "1").await.total, 1);
        assert_eq!(list(&app, &people.ana, "_", "", "1").await.total, 1);
        assert_eq!(list(&app, &people.ana, "plain", "", "1").await.total, total - 1);
        assert_eq!(list(&app, &people.ana, "bo's", "", "1").await.total, 0, "only Ana's own");
        // A page past the end shows the last page.
        assert_eq!(list(&app, &people.ana, "", "", "99").await.page, 2);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_duplicate_copies_every_field_under_a_new_name_for_whoever_copies() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let people = people(&app).await;
        let original = create(&app, &people.ana, &[]).await;
        let response =
            app.post_form("/api/duplicate_strategy", &[("id", &original.id.to_string())], Some(&people.ana)).await;
        assert_eq!(response.status, StatusCode::OK, "{backend:?}: {}", response.body);
        let copy: Strategy = serde_json::from_str(&response.body).unwrap();
        assert_eq!(response.location(), Some(format!("/strategies/{}?copied=1", copy.id).as_str()));
        assert_ne!(copy.id, original.id);
        assert_eq!(copy.fields.name, "Friendly closer (copy)");
        assert_eq!(copy.fields.to_form().ai_instructions, original.fields.ai_instructions);
        let mut renamed = copy.fields.clone();
        renamed.name = original.fields.name.clone();
        assert_eq!(renamed, original.fields, "{backend:?}: every other field is copied");
        assert_eq!(audit_of(&app, "strategy", copy.id).await[0].action, "create");

        // An admin's copy of someone else's strategy is the admin's own.
        let response =
            app.post_form("/api/duplicate_strategy", &[("id", &original.id.to_string())], Some(&people.admin)).await;
        let admins: Strategy = serde_json::from_str(&response.body).unwrap();
        assert_ne!(admins.owner_id, original.owner_id, "{backend:?}");
        assert_eq!(list(&app, &people.ana, "", "", "1").await.total, 2);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_strategy_in_use_is_deleted_only_after_its_clients_move_in_the_same_transaction() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let people = people(&app).await;
        let doomed = create(&app, &people.ana, &[("name", "Doomed")]).await;
        let heir = create(&app, &people.ana, &[("name", "Heir")]).await;
        let bos = create(&app, &people.bo, &[("name", "Bo's")]).await;
        let clients = [
            insert_client(&app, doomed.owner_id, doomed.id, "Carla").await,
            insert_client(&app, doomed.owner_id, doomed.id, "Dan").await,
        ];
        let seen = details(&app, &people.ana, doomed.id).await.unwrap();
        assert_eq!(seen.clients_using, 2, "{backend:?}");
        assert_eq!(seen.move_targets, [StrategyOption { id: heir.id, name: "Heir".to_owned() }]);
        assert_eq!(list(&app, &people.ana, "doomed", "", "1").await.rows[0].clients, 2);

        let refused = delete(&app, &people.ana, doomed.id, "").await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{backend:?}: {}", refused.body);
        assert!(
            refused
                .body
                .contains("2 clients use this strategy; choose another strategy to move them to before deleting it."),
            "{}",
            refused.body
        );
        for bad_target in [doomed.id.to_string(), bos.id.to_string(), "999999".to_owned(), "abc".to_owned()] {
            let response = delete(&app, &people.ana, doomed.id, &bad_target).await;
            assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: {bad_target}");
            assert!(response.body.contains("move_clients_to"), "{}", response.body);
        }
        assert!(details(&app, &people.ana, doomed.id).await.is_ok(), "{backend:?}: still there");
        assert_eq!(strategy_of_client(&app, clients[0]).await, doomed.id, "no client moved");
        assert!(audit_of(&app, "client", clients[0]).await.is_empty());

        let response = delete(&app, &people.ana, doomed.id, &heir.id.to_string()).await;
        assert_eq!(response.status, StatusCode::OK, "{backend:?}: {}", response.body);
        assert_eq!(response.location(), Some("/strategies?deleted=1"));
        assert_eq!(details(&app, &people.ana, doomed.id).await, Err(StatusCode::NOT_FOUND));
        for client in clients {
            assert_eq!(strategy_of_client(&app, client).await, heir.id, "{backend:?}");
            let entries = audit_of(&app, "client", client).await;
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].changes.as_ref().unwrap()["strategy_id"]["to"], heir.id);
        }
        let deletion = audit_of(&app, "strategy", doomed.id).await.pop().unwrap();
        assert_eq!(deletion.action, "delete");
        let changes = deletion.changes.unwrap();
        assert_eq!(
            (changes["name"]["to"].as_str(), changes["clients_moved"]["to"].as_u64()),
            (Some("Doomed"), Some(2))
        );
        assert_eq!(details(&app, &people.ana, heir.id).await.unwrap().clients_using, 2);

        // Without clients there is nothing to move, and a target is not needed.
        let unused = create(&app, &people.ana, &[("name", "Unused")]).await;
        assert_eq!(delete(&app, &people.ana, unused.id, "").await.status, StatusCode::OK, "{backend:?}");
        // An admin deletes anyone's strategy, moving clients within the owner's strategies only.
        insert_client(&app, bos.owner_id, bos.id, "Eve").await;
        let response = delete(&app, &people.admin, bos.id, &heir.id.to_string()).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: Ana's strategy for Bo's client");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_editor_and_the_list_render_on_the_server() {
    let app = common::app::start(Backend::Sqlite).await;
    let people = people(&app).await;
    let empty = app.get("/strategies", Some(&people.ana)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("Create your first strategy"), "{}", empty.body);

    let strategy = create(&app, &people.ana, &[("ai_instructions", "Never <script> & never lie.")]).await;
    let listed = app.get("/strategies?q=friendly&sort=name", Some(&people.ana)).await;
    assert!(listed.body.contains("Friendly closer"), "{}", listed.body);

    let editor = app.get(&format!("/strategies/{}", strategy.id), Some(&people.ana)).await;
    assert_eq!(editor.status, StatusCode::OK);
    assert!(editor.body.contains("Never &lt;script&gt; &amp; never lie.</textarea>"), "escaped: {}", editor.body);
    assert!(editor.body.contains("## Objective\nBook a demo."), "the saved prompt is previewed: {}", editor.body);
    assert!(editor.body.contains(r#"value="Friendly closer""#));

    let new = app.get("/strategies/new", Some(&people.ana)).await;
    assert_eq!(new.status, StatusCode::OK);
    assert!(new.body.contains("Create strategy"), "{}", new.body);

    let others = app.get(&format!("/strategies/{}", strategy.id), Some(&people.bo)).await;
    assert!(others.body.contains("This strategy was not found."), "{}", others.body);
    assert!(!others.body.contains("Friendly closer"));
    app.cleanup().await;
}

/// A form post from a browser without JavaScript.
async fn plain_post(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    cookie: &str,
    from: &str,
) -> common::app::TestResponse {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .header(header::REFERER, format!("http://localhost{from}"))
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

#[tokio::test]
async fn plain_form_posts_redirect_to_the_next_page() {
    let app = common::app::start(Backend::Sqlite).await;
    let people = people(&app).await;
    let created = plain_post(&app, "/api/create_strategy", &form(&[]), &people.ana, "/strategies/new").await;
    assert_eq!(created.status, StatusCode::FOUND);
    let location = created.location().unwrap().to_owned();
    assert!(location.starts_with("/strategies/") && location.ends_with("?created=1"), "{location}");
    let id = location.trim_start_matches("/strategies/").trim_end_matches("?created=1").to_owned();

    let invalid =
        plain_post(&app, "/api/create_strategy", &form(&[("name", "")]), &people.ana, "/strategies/new").await;
    assert_eq!(invalid.status, StatusCode::SEE_OTHER);
    // Back to the form at its own address, the error and what was typed kept for one view.
    assert_eq!(invalid.location(), Some("/strategies/new"));
    let with_error = app.get("/strategies/new", Some(&people.ana)).await;
    assert!(with_error.body.contains("Give the strategy a name."), "{}", with_error.body);
    assert!(with_error.body.contains(r#"value="Warm and brief""#), "what was typed is kept");
    assert!(with_error.body.contains("Ask one question at a time."), "textareas too");

    let mut fields = form(&[("tone", "Plain")]);
    fields.push(("id", &id));
    let saved = plain_post(&app, "/api/update_strategy", &fields, &people.ana, &format!("/strategies/{id}")).await;
    assert_eq!(saved.location(), Some(format!("/strategies/{id}?saved=1").as_str()));
    let page = app.get(&format!("/strategies/{id}?saved=1"), Some(&people.ana)).await;
    assert!(page.body.contains("Your changes are saved."), "{}", page.body);
    assert!(page.body.contains(r#"value="Plain""#));

    let deleted =
        plain_post(&app, "/api/delete_strategy", &[("id", &id)], &people.ana, &format!("/strategies/{id}")).await;
    assert_eq!(deleted.location(), Some("/strategies?deleted=1"));
    let page = app.get("/strategies?deleted=1", Some(&people.ana)).await;
    assert!(page.body.contains("The strategy is deleted."), "{}", page.body);
    app.cleanup().await;
}

#[tokio::test]
async fn the_first_strategy_is_the_default_for_new_clients_until_another_is_made_default() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let people = people(&app).await;
        let first = create(&app, &people.ana, &[("name", "First")]).await;
        let second = create(&app, &people.ana, &[("name", "Second")]).await;
        let bos = create(&app, &people.bo, &[("name", "Bo's")]).await;
        let is_default = |details: StrategyDetails| details.is_default;
        assert!(is_default(details(&app, &people.ana, first.id).await.unwrap()), "{backend:?}");
        assert!(!is_default(details(&app, &people.ana, second.id).await.unwrap()), "{backend:?}");
        assert!(is_default(details(&app, &people.bo, bos.id).await.unwrap()), "{backend:?}: per owner");
        let editor = app.post_form("/api/client_editor", &[], Some(&people.ana)).await;
        let editor: crm::clients::api::EditorData = serde_json::from_str(&editor.body).unwrap();
        assert_eq!(editor.form.strategy_id, first.id.to_string(), "{backend:?}: the new client form selects it");

        // Another user cannot make Ana's strategy their default; Ana can.
        let second_id = second.id.to_string();
        let make = [("id", second_id.as_str())];
        let refused = app.post_form("/api/make_default_strategy", &make, Some(&people.bo)).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{backend:?}");
        let made = app.post_form("/api/make_default_strategy", &make, Some(&people.ana)).await;
        assert_eq!(made.status, StatusCode::OK, "{backend:?}");
        assert!(!is_default(details(&app, &people.ana, first.id).await.unwrap()), "{backend:?}");
        assert!(is_default(details(&app, &people.ana, second.id).await.unwrap()), "{backend:?}");
        assert!(is_default(details(&app, &people.bo, bos.id).await.unwrap()), "{backend:?}: Bo's is untouched");

        // An admin making a user's strategy the default does it for that user.
        let first_id = first.id.to_string();
        let admins =
            app.post_form("/api/make_default_strategy", &[("id", first_id.as_str())], Some(&people.admin)).await;
        assert_eq!(admins.status, StatusCode::OK, "{backend:?}");
        assert!(is_default(details(&app, &people.ana, first.id).await.unwrap()), "{backend:?}: Ana's default again");
        let back = app.post_form("/api/make_default_strategy", &make, Some(&people.ana)).await;
        assert_eq!(back.status, StatusCode::OK, "{backend:?}");

        // Without a default, the new client form selects nothing.
        delete(&app, &people.ana, second.id, "").await;
        let editor = app.post_form("/api/client_editor", &[], Some(&people.ana)).await;
        let editor: crm::clients::api::EditorData = serde_json::from_str(&editor.body).unwrap();
        assert_eq!(editor.form.strategy_id, "", "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_strategy_an_admin_shares_is_usable_by_everyone_and_changed_only_by_its_owner_or_an_admin() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let people = people(&app).await;
        let anas = create(&app, &people.ana, &[("name", "Team closer")]).await;
        let bos_own = create(&app, &people.bo, &[("name", "Bo's own")]).await;
        let id = anas.id.to_string();
        let share = |cookie: String, shared: &'static str| {
            let app = &app;
            let id = id.clone();
            async move {
                app.post_form("/api/share_strategy", &[("id", id.as_str()), ("shared", shared)], Some(&cookie)).await
            }
        };
        // Before it is shared, Bo neither sees nor uses it.
        assert_eq!(details(&app, &people.bo, anas.id).await.unwrap_err(), StatusCode::NOT_FOUND, "{backend:?}");
        let client = [("name", "Bo's lead"), ("strategy_id", id.as_str())];
        let refused = app.post_form("/api/create_client", &client, Some(&people.bo)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}: {}", refused.body);

        assert_eq!(
            share(people.ana.clone(), "true").await.status,
            StatusCode::FORBIDDEN,
            "{backend:?}: users don't share"
        );
        assert_eq!(share(people.admin.clone(), "true").await.status, StatusCode::OK, "{backend:?}");
        let seen = details(&app, &people.bo, anas.id).await.unwrap();
        assert!(seen.shared && !seen.can_change && !seen.owned_by_viewer, "{backend:?}: {seen:?}");
        assert!(names(&list(&app, &people.bo, "", "name", "1").await).contains(&"Team closer".to_owned()));
        let change = update(&app, &people.bo, anas.id, &[("name", "Mine now")]).await;
        assert_eq!(change.status, StatusCode::FORBIDDEN, "{backend:?}: read-only for Bo");
        assert_eq!(delete(&app, &people.bo, anas.id, "").await.status, StatusCode::FORBIDDEN, "{backend:?}");
        let added = app.post_form("/api/create_client", &client, Some(&people.bo)).await;
        assert_eq!(added.status, StatusCode::OK, "{backend:?}: {}", added.body);
        let bos_client: i64 = serde_json::from_str(&added.body).unwrap();
        let made = app.post_form("/api/make_default_strategy", &[("id", id.as_str())], Some(&people.bo)).await;
        assert_eq!(made.status, StatusCode::OK, "{backend:?}: a shared strategy can be Bo's default");

        // While Bo's client uses it, neither sharing stops nor the strategy goes.
        assert_eq!(share(people.admin.clone(), "false").await.status, StatusCode::CONFLICT, "{backend:?}");
        assert_eq!(delete(&app, &people.ana, anas.id, "").await.status, StatusCode::CONFLICT, "{backend:?}");
        let bos_own_id = bos_own.id.to_string();
        let client_id = bos_client.to_string();
        let moved = app
            .post_form(
                "/api/bulk_clients",
                &[("action", "strategy"), ("ids[0]", client_id.as_str()), ("strategy_id", bos_own_id.as_str())],
                Some(&people.bo),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{backend:?}: {}", moved.body);
        assert_eq!(share(people.admin.clone(), "false").await.status, StatusCode::OK, "{backend:?}");
        assert_eq!(details(&app, &people.bo, anas.id).await.unwrap_err(), StatusCode::NOT_FOUND, "{backend:?}");
        let editor = app.post_form("/api/client_editor", &[], Some(&people.bo)).await;
        let editor: crm::clients::api::EditorData = serde_json::from_str(&editor.body).unwrap();
        assert_eq!(editor.form.strategy_id, "", "{backend:?}: Bo's default went with the sharing");
        app.cleanup().await;
    }
}
