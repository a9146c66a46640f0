//! CSV import and export of clients on SQLite and on PostgreSQL (+ Redis for the job queue):
//! good, bad and duplicate rows, skip and update, resuming an interrupted import without adding a
//! row twice, refused files that write nothing, ownership, the HTTP routes, and an export that is
//! exactly what the list's filter shows.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::{Body, Bytes},
    http::{Request, StatusCode, header},
};
use common::{
    BACKENDS,
    accounts::{PASSWORD, account, strategy},
    app::TestApp,
};
use crm::{
    audit::entity as audit_log,
    clients::{
        export,
        import::{
            entity::{chunk as import_chunk, import as imports, row_error},
            model::ImportSettings,
            service,
        },
        model::{ClientForm, ClientQuery},
        service as clients,
    },
    server::worker::{self, JobOutcome, Shutdown},
    shared::AppError,
    users::model::CurrentUser,
};
use futures::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

/// Mapping of the test files: Full Name, E-mail, Phone, Stage, External ID.
fn settings(strategy: i64, duplicate_key: &str, on_duplicate: &str) -> ImportSettings {
    ImportSettings {
        col_name: "0".into(),
        col_email: "1".into(),
        col_phone: "2".into(),
        col_status: "3".into(),
        col_external_id: "4".into(),
        strategy_id: strategy.to_string(),
        duplicate_key: duplicate_key.into(),
        on_duplicate: on_duplicate.into(),
        ..Default::default()
    }
}

const MIXED: &str = "Full Name,E-mail,Phone,Stage,External ID
Ana Lima,ana@example.com,+351 912 345 678,won,ghl-1
,nobody@example.com,,,
Bad Mail,not-an-email,,,
Old Renamed,OLD@example.com,,contacted,
Ana Again,ana@example.com,,,
Weird,weird@example.com,,maybe,
Taken,taken@example.com,,,ext-1
";

async fn import_file(app: &TestApp, user: &CurrentUser, text: &str, settings: ImportSettings) -> i64 {
    let id =
        service::create_draft(&app.state, user, "leads.csv", Bytes::copy_from_slice(text.as_bytes())).await.unwrap();
    service::start(&app.state, user, id, &settings).await.unwrap();
    // The worker takes the job from the queue (database or Redis) and runs it to the end.
    assert!(worker::run_once(&app.state, &crm::domains::queue_handlers(), &Shutdown::manual()).await);
    id
}

async fn import_row(app: &TestApp, id: i64) -> imports::Model {
    imports::Entity::find_by_id(id).one(&app.db.conn).await.unwrap().unwrap()
}

async fn names_by_email(app: &TestApp, owner: i64) -> Vec<(String, Option<String>, String)> {
    crm::clients::entity::Entity::find()
        .filter(crm::clients::entity::Column::OwnerId.eq(owner))
        .order_by_asc(crm::clients::entity::Column::Id)
        .all(&app.db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|client| (client.name, client.email, client.status))
        .collect()
}

#[tokio::test]
async fn imports_good_rows_reports_bad_ones_and_skips_or_updates_duplicates() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        clients::create(
            &app.state,
            &ana,
            &ClientForm {
                name: "Old".into(),
                email: "old@example.com".into(),
                external_id: "ext-1".into(),
                strategy_id: friendly.to_string(),
                ..Default::default()
            },
            clients::Duplicates::Allow,
        )
        .await
        .unwrap();

        let first = import_file(&app, &ana, MIXED, settings(friendly, "email", "skip")).await;
        let done = import_row(&app, first).await;
        assert_eq!(done.status, "done", "{backend:?}");
        assert_eq!(
            (done.row_count, done.processed, done.created, done.updated, done.skipped, done.failed),
            (7, 7, 1, 0, 2, 4),
            "{backend:?}: Ana added; Old and Ana Again skipped; four bad rows"
        );
        assert_eq!(
            names_by_email(&app, ana.id).await,
            vec![
                ("Old".to_owned(), Some("old@example.com".to_owned()), "lead".to_owned()),
                ("Ana Lima".to_owned(), Some("ana@example.com".to_owned()), "won".to_owned()),
            ],
            "{backend:?}"
        );
        let errors = row_error::Entity::find()
            .filter(row_error::Column::ImportId.eq(first))
            .order_by_asc(row_error::Column::RowNumber)
            .all(&app.db.conn)
            .await
            .unwrap();
        let lines: Vec<i64> = errors.iter().map(|error| error.row_number).collect();
        assert_eq!(lines, vec![3, 4, 7, 8], "{backend:?}: the lines of the bad rows");
        assert!(errors[0].message.starts_with("Name: "), "{}", errors[0].message);
        assert!(errors[1].message.starts_with("Email: "), "{}", errors[1].message);
        assert!(errors[2].message.starts_with("Status: "), "{}", errors[2].message);
        assert!(errors[3].message.contains("external id"), "{}", errors[3].message);
        assert_eq!(errors[1].row_values, r#"["Bad Mail","not-an-email","","",""]"#);

        // The same file again, updating duplicates and replacing values: blank cells erase nothing.
        let replace = ImportSettings { replace_existing: "on".into(), ..settings(friendly, "email", "update") };
        let second = import_file(&app, &ana, MIXED, replace).await;
        let done = import_row(&app, second).await;
        assert_eq!(
            (done.created, done.updated, done.skipped, done.failed),
            (0, 3, 0, 4),
            "{backend:?}: Ana Lima, Old Renamed and Ana Again update"
        );
        let clients = crm::clients::entity::Entity::find()
            .filter(crm::clients::entity::Column::OwnerId.eq(ana.id))
            .order_by_asc(crm::clients::entity::Column::Id)
            .all(&app.db.conn)
            .await
            .unwrap();
        assert_eq!(clients.len(), 2, "{backend:?}");
        assert_eq!((clients[0].name.as_str(), clients[0].status.as_str()), ("Old Renamed", "contacted"));
        assert_eq!(clients[0].external_id.as_deref(), Some("ext-1"), "a blank cell keeps the value");
        assert_eq!(clients[1].name, "Ana Again", "the later row of the file wins");
        assert_eq!(clients[1].phone.as_deref(), Some("+351 912 345 678"));

        // Every created and updated client is audited.
        let audited = |action: &'static str| {
            audit_log::Entity::find()
                .filter(audit_log::Column::Entity.eq("client"))
                .filter(audit_log::Column::Action.eq(action))
                .count(&app.db.conn)
        };
        assert_eq!(audited("create").await.unwrap(), 2, "{backend:?}: Old by hand, Ana by import");
        assert_eq!(audited("update").await.unwrap(), 2, "{backend:?}: Old and Ana changed");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn duplicates_within_the_file_and_without_a_duplicate_rule() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let file = "Full Name,E-mail,Phone,Stage,External ID\nA,a@example.com,,,x-1\nB,a@example.com,,,\nC,c@example.com,,,x-1\n";
        let id = import_file(&app, &ana, file, settings(friendly, "none", "skip")).await;
        let done = import_row(&app, id).await;
        assert_eq!(
            (done.created, done.skipped, done.failed),
            (2, 0, 1),
            "{backend:?}: no rule adds both emails; the external id stays unique"
        );
        let id = import_file(&app, &ana, file, settings(friendly, "external_id", "skip")).await;
        let done = import_row(&app, id).await;
        assert_eq!((done.created, done.skipped, done.failed), (1, 2, 0), "{backend:?}: B is new, A and C match x-1");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn an_interrupted_import_resumes_without_adding_a_row_twice() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let rows = service::BATCH_ROWS * 2 + 123;
        let mut file = String::from("Full Name,E-mail,Phone,Stage,External ID\n");
        for n in 0..rows {
            file.push_str(&format!("Client {n},c{n}@example.com,,,\n"));
        }
        let id =
            service::create_draft(&app.state, &ana, "big.csv", Bytes::copy_from_slice(file.as_bytes())).await.unwrap();
        service::start(&app.state, &ana, id, &settings(friendly, "none", "skip")).await.unwrap();
        // One batch commits, then the worker "dies" (the job stays reserved until its lease ends).
        let outcome = service::run_batches(&app.state, id, &Shutdown::manual(), 1).await.unwrap();
        assert_eq!(outcome, JobOutcome::Interrupted);
        let halfway = import_row(&app, id).await;
        assert_eq!((halfway.status.as_str(), halfway.processed), ("running", service::BATCH_ROWS as i64));
        // A shutdown request stops a run before its next batch.
        let stop = Shutdown::manual();
        stop.request();
        assert_eq!(service::run(&app.state, id, &stop).await.unwrap(), JobOutcome::Interrupted);
        // Delivered again, it resumes after the committed batch.
        assert!(worker::run_once(&app.state, &crm::domains::queue_handlers(), &Shutdown::manual()).await);
        let done = import_row(&app, id).await;
        assert_eq!((done.status.as_str(), done.processed, done.created), ("done", rows as i64, rows as i64));
        let pieces = import_chunk::Entity::find()
            .filter(import_chunk::Column::ImportId.eq(id))
            .count(&app.db.conn)
            .await
            .unwrap();
        assert_eq!(pieces, 0, "{backend:?}: the file is dropped once imported");
        let stored = crm::clients::entity::Entity::find()
            .filter(crm::clients::entity::Column::OwnerId.eq(ana.id))
            .count(&app.db.conn)
            .await
            .unwrap();
        assert_eq!(stored, rows as u64, "{backend:?}: every row once");
        // A second delivery of a finished import changes nothing.
        assert_eq!(service::run(&app.state, id, &Shutdown::manual()).await.unwrap(), JobOutcome::Done);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn bad_files_and_bad_settings_are_refused_and_change_nothing() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bea = account(&app, "Bea", "bea@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let beas = strategy(&app, bea.id, "Bea's").await;
        let garbage: Vec<u8> = (0..1_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for (bytes, message) in [
            (&b"Name\n\xff\xfeAna\n"[..], "not UTF-8"),
            (&b""[..], "empty"),
            (&b"Name,Name\nAna,Ana\n"[..], "twice"),
            (&b"Name\n"[..], "no rows"),
            (&garbage[..], "not"),
        ] {
            let error =
                service::create_draft(&app.state, &ana, "bad.csv", Bytes::copy_from_slice(bytes)).await.unwrap_err();
            let text = error.field_message("file").unwrap_or_default().to_owned();
            assert!(text.contains(message), "{backend:?}: {text}");
            assert_eq!(error.status_code(), 422);
        }
        assert_eq!(imports::Entity::find().count(&app.db.conn).await.unwrap(), 0, "{backend:?}: nothing stored");

        let id =
            service::create_draft(&app.state, &ana, "leads.csv", Bytes::from_static(MIXED.as_bytes())).await.unwrap();
        let view = service::view(&app.state, &ana, id).await.unwrap();
        assert_eq!(view.mapping, vec![Some(0), Some(1), Some(2), None, None, Some(4), Some(3), None], "guessed");
        assert_eq!(view.preview.len(), 5);
        assert_eq!(view.progress.row_count, 7);
        let refused = |settings: ImportSettings| {
            let app = &app;
            let ana = ana.clone();
            async move { service::start(&app.state, &ana, id, &settings).await.unwrap_err() }
        };
        let no_name = refused(ImportSettings { col_name: String::new(), ..settings(friendly, "email", "skip") }).await;
        assert!(no_name.field_message("col_name").is_some(), "{no_name:?}");
        let twice = refused(ImportSettings { col_phone: "1".into(), ..settings(friendly, "email", "skip") }).await;
        assert_eq!(twice.field_message("col_phone"), Some("This column is already used for Email."));
        let others = refused(settings(beas, "email", "skip")).await;
        assert!(others.field_message("strategy_id").is_some(), "{others:?}");
        let unmapped_key =
            refused(ImportSettings { col_email: String::new(), ..settings(friendly, "email", "skip") }).await;
        assert!(unmapped_key.field_message("duplicate_key").is_some(), "{unmapped_key:?}");
        // Someone else's import is not found, whoever asks.
        assert!(matches!(service::view(&app.state, &bea, id).await, Err(AppError::NotFound(_))));
        assert!(matches!(
            service::start(&app.state, &bea, id, &settings(beas, "none", "skip")).await,
            Err(AppError::NotFound(_))
        ));
        service::start(&app.state, &ana, id, &settings(friendly, "email", "skip")).await.unwrap();
        assert!(matches!(
            service::start(&app.state, &ana, id, &settings(friendly, "email", "skip")).await,
            Err(AppError::Conflict(_))
        ));
        app.cleanup().await;
    }
}

/// The whole export as text.
async fn exported(app: &TestApp, user: &CurrentUser, query: ClientQuery) -> String {
    let mut stream = Box::pin(export::stream_clients(app.state.clone(), user.clone(), query));
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    String::from_utf8(bytes).unwrap()
}

/// The names of an export, in order.
fn exported_names(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark for Excel");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(&reader.headers().unwrap()[0], "Name");
    reader.records().map(|record| record.unwrap()[0].to_owned()).collect()
}

/// Every name the list shows for `query`, page after page.
async fn listed_names(app: &TestApp, user: &CurrentUser, query: ClientQuery) -> Vec<String> {
    let mut names = Vec::new();
    let mut query = query;
    loop {
        let page = clients::list(&app.state, user, &query).await.unwrap();
        names.extend(page.rows.iter().map(|row| row.name.clone()));
        match page.next {
            Some(next) => query.after = next,
            None => return names,
        }
    }
}

#[tokio::test]
async fn the_export_is_what_the_filtered_list_shows() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bea = account(&app, "Bea", "bea@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let beas = strategy(&app, bea.id, "Bea's").await;
        // More than two export batches, with mixed statuses and a formula-looking name.
        let mut file = String::from("Full Name,E-mail,Phone,Stage,External ID\n");
        for n in 0..2_345 {
            let status = ["lead", "won", "lost"][n % 3];
            file.push_str(&format!("Client {n:04},c{n}@acme.example,,{status},\n"));
        }
        file.push_str("=HYPERLINK(1),evil@acme.example,+1 415 555 0100,won,\n");
        import_file(&app, &ana, &file, settings(friendly, "none", "skip")).await;
        let beas_file = "Full Name,E-mail,Phone,Stage,External ID\nBea's lead,b@acme.example,,won,\n";
        import_file(&app, &bea, beas_file, settings(beas, "none", "skip")).await;

        for query in [
            ClientQuery::default(),
            ClientQuery { status: "won".into(), sort: "name".into(), ..Default::default() },
            ClientQuery { q: "c1@acme".into(), sort: "created".into(), dir: "asc".into(), ..Default::default() },
        ] {
            let expected = listed_names(&app, &ana, query.clone()).await;
            let text = exported(&app, &ana, query.clone()).await;
            let names: Vec<String> = exported_names(&text)
                .into_iter()
                .map(|name| name.strip_prefix('\'').map(str::to_owned).unwrap_or(name))
                .collect();
            assert_eq!(names, expected, "{backend:?} {query:?}");
        }
        let text = exported(&app, &ana, ClientQuery { status: "won".into(), ..Default::default() }).await;
        assert!(
            text.contains("'=HYPERLINK(1),evil@acme.example,+1 415 555 0100,,,,Won,Friendly,"),
            "formula neutralised, phone kept"
        );
        assert!(!text.contains("Bea's lead"), "{backend:?}: only Ana's own clients");
        // An admin sees everyone's, or one owner's, with an owner column.
        let all = exported(&app, &admin, ClientQuery::default()).await;
        assert_eq!(exported_names(&all).len(), 2_347, "{backend:?}");
        assert!(all.contains(",Bea,"), "{backend:?}: the owner column");
        let beas_only = exported(&app, &admin, ClientQuery { owner: Some(bea.id), ..Default::default() }).await;
        assert_eq!(exported_names(&beas_only), vec!["Bea's lead"]);
        app.cleanup().await;
    }
}

fn multipart(file_name: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "crmtestboundary7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &TestApp, cookie: Option<&str>, content: &[u8], accept: &str) -> common::app::TestResponse {
    let (content_type, body) = multipart("leads.csv", content);
    let mut request =
        Request::post("/clients/imports").header(header::CONTENT_TYPE, content_type).header(header::ACCEPT, accept);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.send(request.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn the_upload_report_and_export_routes_check_the_session_and_the_file() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let signup = |name: &'static str, email: &'static str| {
            let app = &app;
            async move {
                app.post_form("/api/signup", &[("name", name), ("email", email), ("password", PASSWORD)], None)
                    .await
                    .session_cookie()
                    .unwrap()
            }
        };
        signup("Admin", "admin@example.com").await;
        let ana = signup("Ana", "ana@example.com").await;
        let bea = signup("Bea", "bea@example.com").await;
        let created = app
            .post_form(
                "/api/create_strategy",
                &[("name", "Friendly"), ("creativity", "5"), ("reply_delay_min", "0"), ("reply_delay_max", "0")],
                Some(&ana),
            )
            .await;
        let friendly = serde_json::from_str::<crm::strategies::model::Strategy>(&created.body).unwrap().id;

        assert_eq!(upload(&app, None, MIXED.as_bytes(), "*/*").await.status, StatusCode::UNAUTHORIZED);
        let bad = upload(&app, Some(&ana), b"Name\n\xff\xfe\n", "*/*").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        assert_eq!(bad.body, "The file is not UTF-8 text (save it as \"CSV UTF-8\").");
        // A browser posting the form goes back to the upload page with the message.
        let bad = upload(&app, Some(&ana), b"", "text/html").await;
        assert_eq!(bad.status, StatusCode::SEE_OTHER);
        assert_eq!(bad.location(), Some("/clients/import?error=The+file+is+empty."));
        let huge = vec![b'a'; crm::clients::import::model::MAX_UPLOAD_BYTES + 1];
        let too_big = upload(&app, Some(&ana), &huge, "*/*").await;
        assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE, "{backend:?}");
        assert_eq!(too_big.body, "The file is larger than 50 MB.");
        assert_eq!(imports::Entity::find().count(&app.db.conn).await.unwrap(), 0, "{backend:?}: nothing stored");
        assert_eq!(import_chunk::Entity::find().count(&app.db.conn).await.unwrap(), 0, "{backend:?}: no piece left");

        let good = upload(&app, Some(&ana), MIXED.as_bytes(), "text/html").await;
        assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
        let id: i64 = good.location().unwrap().strip_prefix("/clients/imports/").unwrap().parse().unwrap();
        let page = app.get(&format!("/clients/imports/{id}"), Some(&ana)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("data-testid=\"import-preview\""), "the mapping page with its preview");
        let id_text = id.to_string();
        let friendly_text = friendly.to_string();
        let mut form = vec![
            ("id", id_text.as_str()),
            ("col_name", "0"),
            ("col_email", "1"),
            ("col_phone", "2"),
            ("col_status", "3"),
            ("col_external_id", "4"),
            ("strategy_id", friendly_text.as_str()),
            ("duplicate_key", "email"),
            ("on_duplicate", "skip"),
        ];
        let others = app.post_form("/api/start_client_import", &form, Some(&bea)).await;
        assert_eq!(others.status, StatusCode::NOT_FOUND, "{}", others.body);
        let started = app.post_form("/api/start_client_import", &form, Some(&ana)).await;
        assert!(started.status.is_success(), "{}", started.body);
        form.clear();
        assert!(worker::run_once(&app.state, &crm::domains::queue_handlers(), &Shutdown::manual()).await);
        let progress = app.post_form("/api/client_import_progress", &[("id", id_text.as_str())], Some(&ana)).await;
        assert!(progress.body.contains("\"status\":\"done\""), "{}", progress.body);

        let page = app.get(&format!("/clients/imports/{id}"), Some(&ana)).await;
        assert!(page.body.contains("Import finished."), "the progress page shows the outcome");
        assert!(page.body.contains(&format!("/clients/imports/{id}/errors.csv")), "with the error report");
        let form = app.get("/clients/import?error=The+file+is+empty.", Some(&ana)).await;
        assert!(form.body.contains("enctype=\"multipart/form-data\""), "the upload form");
        assert!(form.body.contains("The file is empty."), "and the message of a refused file");

        let report_path = format!("/clients/imports/{id}/errors.csv");
        assert_eq!(app.get(&report_path, Some(&bea)).await.status, StatusCode::NOT_FOUND, "{backend:?}");
        let report = app.get(&report_path, Some(&ana)).await;
        assert_eq!(report.status, StatusCode::OK);
        assert_eq!(report.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        assert!(
            report.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment; filename=\"import-")
        );
        let mut lines = report.body.lines();
        assert_eq!(lines.next(), Some("Line,Error,Full Name,E-mail,Phone,Stage,External ID"));
        assert!(lines.next().unwrap().starts_with("3,Name: Enter the client's name.,,nobody@example.com"));
        assert_eq!(
            report.body.lines().count(),
            4,
            "{backend:?}: the header and three bad rows (no client has ext-1 here)"
        );

        let export = app.get("/clients/export.csv?status=won", Some(&ana)).await;
        assert_eq!(export.status, StatusCode::OK);
        assert!(
            export.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"clients-")
        );
        assert_eq!(exported_names(&export.body), vec!["Ana Lima"], "{backend:?}");
        assert_eq!(exported_names(&app.get("/clients/export.csv", Some(&bea)).await.body).len(), 0);
        // Browsers ask for compression: the compressed body must stream to its end too (a finished
        // `unfold` stream polled again by the compression layer used to panic mid-download).
        for path in [report_path.as_str(), "/clients/export.csv"] {
            let request = axum::http::Request::get(path)
                .header(header::COOKIE, ana.as_str())
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .unwrap();
            let compressed = app.send(request).await;
            assert_eq!(compressed.status, StatusCode::OK, "{backend:?} {path}");
            assert_eq!(compressed.headers[header::CONTENT_ENCODING], "gzip", "{path}");
            assert!(!compressed.body.is_empty());
        }
        let anonymous = app.get("/clients/export.csv", None).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "anonymous visitors are sent to sign in");
        app.cleanup().await;
    }
}

// ---- Issue 16: data safety ----

/// Mapping of the notes test files: Name, Email, Phone, Company, Notes.
fn notes_settings(strategy: i64, replace: bool) -> ImportSettings {
    ImportSettings {
        col_name: "0".into(),
        col_email: "1".into(),
        col_phone: "2".into(),
        col_company: "3".into(),
        col_notes: "4".into(),
        strategy_id: strategy.to_string(),
        duplicate_key: "email".into(),
        on_duplicate: "update".into(),
        replace_existing: if replace { "on".into() } else { String::new() },
        ..Default::default()
    }
}

async fn client_by_id(app: &TestApp, id: i64) -> crm::clients::entity::Model {
    crm::clients::entity::Entity::find_by_id(id).one(&app.db.conn).await.unwrap().unwrap()
}

/// The changes of the latest audit record of client `id`.
async fn latest_changes(app: &TestApp, id: i64) -> serde_json::Value {
    audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("client"))
        .filter(audit_log::Column::EntityId.eq(id))
        .order_by_desc(audit_log::Column::Id)
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap()
        .changes
        .unwrap_or_default()
}

async fn make_client(app: &TestApp, user: &CurrentUser, strategy: i64, form: ClientForm) -> i64 {
    let form = ClientForm { strategy_id: strategy.to_string(), ..form };
    clients::create(&app.state, user, &form, clients::Duplicates::Allow).await.unwrap()
}

#[tokio::test]
async fn an_update_adds_notes_below_and_fills_only_empty_fields_unless_asked_to_replace() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let id = make_client(
            &app,
            &ana,
            friendly,
            ClientForm {
                name: "Bea Hand".into(),
                email: "bea@example.com".into(),
                company: "Acme".into(),
                notes: "Hand-written: prefers calls after 6 pm.".into(),
                ..Default::default()
            },
        )
        .await;
        let file =
            "Name,Email,Phone,Company,Notes\nBea From File,bea@example.com,+1 415 555 0100,Other Co,Met at the fair\n";

        // Filling empty fields: the phone is new, the name and company stay, the notes grow.
        let first = import_file(&app, &ana, file, notes_settings(friendly, false)).await;
        assert_eq!(import_row(&app, first).await.updated, 1, "{backend:?}");
        let client = client_by_id(&app, id).await;
        assert_eq!(client.name, "Bea Hand", "{backend:?}: a name is not replaced by default");
        assert_eq!(client.company.as_deref(), Some("Acme"), "{backend:?}");
        assert_eq!(client.phone.as_deref(), Some("+1 415 555 0100"), "{backend:?}: an empty field is filled");
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        assert_eq!(
            client.notes.as_deref(),
            Some(
                format!(
                    "Hand-written: prefers calls after 6 pm.\n\n--- Imported from leads.csv on {today} ---\nMet at the fair"
                )
                .as_str()
            ),
            "{backend:?}: the hand-written notes are kept, the imported ones added below"
        );
        let changes = latest_changes(&app, id).await;
        assert_eq!(changes["notes"]["from"], "Hand-written: prefers calls after 6 pm.", "{backend:?}: {changes}");
        assert_eq!(changes["phone"]["from"], serde_json::Value::Null, "{backend:?}");
        assert!(changes.get("company").is_none() && changes.get("name").is_none(), "{backend:?}: {changes}");
        // The timeline says what happened to the notes.
        let activity = crm::clients::detail_service::activity(&app.state, &ana, id, &Default::default()).await.unwrap();
        assert!(
            activity.items[0].changes.iter().any(|line| line == "Notes: text added below the previous notes"),
            "{backend:?}: {:?}",
            activity.items[0].changes
        );

        // Replacing: name and company take the file's values, the old ones stay in the audit log;
        // notes already imported are not added twice.
        let second = import_file(&app, &ana, file, notes_settings(friendly, true)).await;
        assert_eq!(import_row(&app, second).await.updated, 1, "{backend:?}");
        let replaced = client_by_id(&app, id).await;
        assert_eq!((replaced.name.as_str(), replaced.company.as_deref()), ("Bea From File", Some("Other Co")));
        assert_eq!(replaced.notes, client.notes, "{backend:?}: the same notes are not added twice");
        let changes = latest_changes(&app, id).await;
        assert_eq!(changes["name"]["from"], "Bea Hand", "{backend:?}: {changes}");
        assert_eq!(changes["company"]["from"], "Acme", "{backend:?}: {changes}");
        assert_eq!(changes["company"]["to"], "Other Co", "{backend:?}: {changes}");

        // One field replaced by choice: the phone takes the file's value, the name stays.
        let phone_only = ImportSettings { replace_phone: "on".into(), ..notes_settings(friendly, false) };
        let other_phone = "Name,Email,Phone,Company,Notes\nAnyone,bea@example.com,+1 415 555 0199,Third Co,\n";
        import_file(&app, &ana, other_phone, phone_only).await;
        let chosen = client_by_id(&app, id).await;
        assert_eq!(
            (chosen.name.as_str(), chosen.phone.as_deref(), chosen.company.as_deref()),
            ("Bea From File", Some("+1 415 555 0199"), Some("Other Co")),
            "{backend:?}: only the chosen field is replaced"
        );

        // Notes that would grow past what the field holds refuse the row rather than cut anything.
        let long_notes = "n".repeat(crm::clients::model::MAX_NOTES_CHARS - 10);
        let full = make_client(
            &app,
            &ana,
            friendly,
            ClientForm {
                name: "Full".into(),
                email: "full@example.com".into(),
                notes: long_notes.clone(),
                ..Default::default()
            },
        )
        .await;
        let third = import_file(
            &app,
            &ana,
            "Name,Email,Phone,Company,Notes\nFull,full@example.com,,,More notes\n",
            notes_settings(friendly, false),
        )
        .await;
        assert_eq!(
            (import_row(&app, third).await.updated, import_row(&app, third).await.failed),
            (0, 1),
            "{backend:?}"
        );
        assert_eq!(client_by_id(&app, full).await.notes, Some(long_notes), "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_row_whose_email_two_clients_share_is_refused_as_ambiguous() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let twin =
            |name: &str| ClientForm { name: name.into(), email: "twin@example.com".into(), ..Default::default() };
        let first = make_client(&app, &ana, friendly, twin("Twin One")).await;
        let second = make_client(&app, &ana, friendly, twin("Twin Two")).await;
        let file = "Name,Email,Phone,Company,Notes\nTwin,twin@example.com,+1 415 555 0101,,Overwrite?\nSolo,solo@example.com,,,\n";
        for on_duplicate in ["update", "skip"] {
            let settings = ImportSettings { on_duplicate: on_duplicate.into(), ..notes_settings(friendly, true) };
            let id = import_file(&app, &ana, file, settings).await;
            let done = import_row(&app, id).await;
            assert_eq!((done.updated, done.failed), (0, 1), "{backend:?} {on_duplicate}");
            let errors = service::error_rows(&app.db.conn, id, 0, 10).await.unwrap();
            assert_eq!(errors[0].row_number, 2);
            let message = &errors[0].message;
            assert!(message.starts_with("Email: 2 clients have this email"), "{message}");
            assert!(message.contains(&format!("Twin One (#{first})")), "{message}");
            assert!(message.contains(&format!("Twin Two (#{second})")), "{message}");
        }
        for id in [first, second] {
            let client = client_by_id(&app, id).await;
            assert_eq!((client.phone, client.notes), (None, None), "{backend:?}: neither twin changed");
        }
        app.cleanup().await;
    }
}

// ---- Issue 15: parsing ----

#[tokio::test]
async fn an_unclosed_quote_is_refused_with_its_line() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let file =
            "Name,Email\nAna,ana@example.com\n\"Bea,bea@example.com\nCaio,caio@example.com\nDani,dani@example.com\n";
        let error = service::create_draft(&app.state, &ana, "broken.csv", file.as_bytes().to_vec()).await.unwrap_err();
        assert_eq!(error.status_code(), 422, "{backend:?}");
        let message = error.field_message("file").unwrap_or_default();
        assert!(message.contains("line 3") && message.contains("never closed"), "{backend:?}: {message}");
        assert_eq!(imports::Entity::find().count(&app.db.conn).await.unwrap(), 0, "{backend:?}: nothing stored");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn semicolon_and_tab_files_are_read_with_their_separator_which_the_user_can_change() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let semicolons =
            "Name;Email;Phone;Company;Notes\nAna;ana@example.com;;\"Lda, Porto\";\"1,5 kg\"\nBea;bea@example.com;;;\n";
        let tabs = "Name\tEmail\tPhone\tCompany\tNotes\nCaio, Jr\tcaio@example.com\t\t\t\n";
        for (file, separator, rows) in [(semicolons, "semicolon", 2), (tabs, "tab", 1)] {
            let id = service::create_draft(&app.state, &ana, "europe.csv", file.as_bytes().to_vec()).await.unwrap();
            let view = service::view(&app.state, &ana, id).await.unwrap();
            assert_eq!(view.separator, separator, "{backend:?}");
            assert_eq!(view.header, vec!["Name", "Email", "Phone", "Company", "Notes"], "{backend:?} {separator}");
            assert_eq!(view.preview.len(), rows);
            // Read with a comma, the file has one column; read again with its own separator, five.
            service::set_separator(&app.state, &ana, id, "comma").await.unwrap();
            assert_eq!(service::view(&app.state, &ana, id).await.unwrap().header.len(), 1, "{backend:?}");
            service::set_separator(&app.state, &ana, id, separator).await.unwrap();
            let settings = ImportSettings { on_duplicate: "skip".into(), ..notes_settings(friendly, false) };
            service::start(&app.state, &ana, id, &settings).await.unwrap();
            assert!(worker::run_once(&app.state, &crm::domains::queue_handlers(), &Shutdown::manual()).await);
            assert_eq!(import_row(&app, id).await.created, rows as i64, "{backend:?} {separator}");
        }
        let names = names_by_email(&app, ana.id).await;
        assert_eq!(names.iter().map(|(name, _, _)| name.as_str()).collect::<Vec<_>>(), vec!["Ana", "Bea", "Caio, Jr"]);
        let ana_client = crm::clients::entity::Entity::find()
            .filter(crm::clients::entity::Column::Name.eq("Ana"))
            .one(&app.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((ana_client.company.as_deref(), ana_client.notes.as_deref()), (Some("Lda, Porto"), Some("1,5 kg")));
        assert!(
            service::set_separator(&app.state, &ana, 1, "pipe").await.unwrap_err().field_message("separator").is_some()
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn error_report_lines_are_the_files_own_lines() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        // Line 1 header; 2 a good row whose notes span lines 2-4; 5 blank; 6 a bad email; 7 good;
        // 8 no name (CRLF line ends throughout the second half).
        let file = "Name,Email,Phone,Company,Notes\n\
                    Ana,ana@example.com,,,\"first line\nsecond line\nthird line\"\n\
                    \n\
                    Bad,not-an-email,,,\r\n\
                    Bea,bea@example.com,,,\r\n\
                    ,nameless@example.com,,,\r\n";
        let settings = ImportSettings { on_duplicate: "skip".into(), ..notes_settings(friendly, false) };
        let id = import_file(&app, &ana, file, settings).await;
        let done = import_row(&app, id).await;
        assert_eq!((done.created, done.failed), (2, 2), "{backend:?}");
        let lines: Vec<i64> =
            service::error_rows(&app.db.conn, id, 0, 10).await.unwrap().iter().map(|row| row.row_number).collect();
        assert_eq!(lines, vec![6, 8], "{backend:?}: the lines a text editor shows");
        app.cleanup().await;
    }
}

// ---- Issue 15: abuse ----

#[tokio::test]
async fn progress_polls_and_the_history_never_read_the_file() {
    for backend in BACKENDS {
        let mut app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let mut file = String::from("Full Name,E-mail,Phone,Stage,External ID\n");
        for n in 0..2_000 {
            file.push_str(&format!("Client {n},c{n}@example.com,,,\n"));
        }
        let id = service::create_draft(&app.state, &ana, "big.csv", file.into_bytes()).await.unwrap();
        let statements = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let seen = statements.clone();
        app.state.db.set_metric_callback(move |info| seen.lock().unwrap().push(info.statement.to_string()));
        for _ in 0..3 {
            let progress = service::progress(&app.state, &ana, id).await.unwrap();
            assert_eq!((progress.status.as_str(), progress.row_count), ("draft", 2_000));
        }
        let history = service::history(&app.state, &ana).await.unwrap();
        assert_eq!(history.len(), 1);
        let statements = statements.lock().unwrap().clone();
        assert_eq!(statements.len(), 3 + 2, "{backend:?}: one query a poll, two for the history: {statements:#?}");
        for statement in &statements {
            let lower = statement.to_lowercase();
            assert!(
                !lower.contains("content") && !lower.contains("client_import_chunks") && !lower.contains("mapping"),
                "{backend:?}: a poll reads only the status and counters: {statement}"
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn drafts_and_stored_bytes_have_a_quota_answered_with_409() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bea = account(&app, "Bea", "bea@example.com").await;
        let mut drafts = Vec::new();
        for _ in 0..crm::clients::import::model::MAX_DRAFTS_PER_USER {
            drafts.push(service::create_draft(&app.state, &ana, "a.csv", MIXED.as_bytes().to_vec()).await.unwrap());
        }
        let refused = service::create_draft(&app.state, &ana, "a.csv", MIXED.as_bytes().to_vec()).await.unwrap_err();
        assert_eq!(refused.status_code(), 409, "{backend:?}");
        assert!(refused.to_string().contains("start or discard one of them first"), "{refused}");
        // Someone else's drafts do not count.
        service::create_draft(&app.state, &bea, "b.csv", MIXED.as_bytes().to_vec()).await.unwrap();
        // Discarding one makes room again.
        service::discard(&app.state, &ana, drafts.pop().unwrap()).await.unwrap();
        let id = service::create_draft(&app.state, &ana, "a.csv", MIXED.as_bytes().to_vec()).await.unwrap();
        // Stored bytes: pretend one waiting file is nearly 100 MB.
        service::discard(&app.state, &ana, id).await.unwrap();
        imports::Entity::update_many()
            .col_expr(imports::Column::FileSize, (99i64 * 1024 * 1024 + 1024 * 1024 - 100).into())
            .filter(imports::Column::Id.eq(drafts[0]))
            .exec(&app.db.conn)
            .await
            .unwrap();
        let refused = service::create_draft(&app.state, &ana, "a.csv", MIXED.as_bytes().to_vec()).await.unwrap_err();
        assert_eq!(refused.status_code(), 409, "{backend:?}");
        assert!(refused.to_string().contains("at most 100 MB"), "{refused}");
        assert_eq!(
            imports::Entity::find().filter(imports::Column::OwnerId.eq(ana.id)).count(&app.db.conn).await.unwrap(),
            2,
            "{backend:?}: nothing stored for a refused file"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_upload_route_answers_409_over_the_quota() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let signup = |name: &'static str, email: &'static str| {
            let app = &app;
            async move {
                app.post_form("/api/signup", &[("name", name), ("email", email), ("password", PASSWORD)], None)
                    .await
                    .session_cookie()
                    .unwrap()
            }
        };
        signup("Admin", "admin@example.com").await;
        let ana = signup("Ana", "ana@example.com").await;
        for _ in 0..crm::clients::import::model::MAX_DRAFTS_PER_USER {
            assert_eq!(upload(&app, Some(&ana), MIXED.as_bytes(), "*/*").await.status, StatusCode::SEE_OTHER);
        }
        let over = upload(&app, Some(&ana), MIXED.as_bytes(), "*/*").await;
        assert_eq!(over.status, StatusCode::CONFLICT, "{backend:?}: {}", over.body);
        assert!(over.body.contains("imports waiting to be started"), "{}", over.body);
        let browser = upload(&app, Some(&ana), MIXED.as_bytes(), "text/html").await;
        assert_eq!(browser.status, StatusCode::SEE_OTHER);
        assert!(browser.location().unwrap().starts_with("/clients/import?error=You+already+have+3"));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_sweep_deletes_drafts_older_than_a_day_and_is_idempotent() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let old = service::create_draft(&app.state, &ana, "old.csv", MIXED.as_bytes().to_vec()).await.unwrap();
        let fresh = service::create_draft(&app.state, &ana, "fresh.csv", MIXED.as_bytes().to_vec()).await.unwrap();
        let old_done = import_file(&app, &ana, MIXED, settings(friendly, "email", "skip")).await;
        let day_ago = chrono::Utc::now() - chrono::Duration::hours(25);
        imports::Entity::update_many()
            .col_expr(imports::Column::CreatedAt, day_ago.into())
            .filter(imports::Column::Id.is_in([old, old_done]))
            .exec(&app.db.conn)
            .await
            .unwrap();
        let now = chrono::Utc::now();
        assert_eq!(service::sweep_expired_drafts(&app.db.conn, now).await.unwrap(), 1, "{backend:?}");
        assert_eq!(service::sweep_expired_drafts(&app.db.conn, now).await.unwrap(), 0, "{backend:?}: idempotent");
        let left: Vec<i64> = imports::Entity::find()
            .order_by_asc(imports::Column::Id)
            .all(&app.db.conn)
            .await
            .unwrap()
            .into_iter()
            .map(|import| import.id)
            .collect();
        assert_eq!(left, vec![fresh, old_done], "{backend:?}: a finished import stays in the history");
        let pieces = import_chunk::Entity::find().filter(import_chunk::Column::ImportId.eq(old)).count(&app.db.conn);
        assert_eq!(pieces.await.unwrap(), 0, "{backend:?}: with its file");
        // The worker runs the sweep registered by the import domain, at once when it starts.
        let tasks = crm::domains::periodic_tasks();
        assert!(tasks.iter().any(|task| task.name == "expired import drafts"));
        imports::Entity::update_many()
            .col_expr(imports::Column::CreatedAt, day_ago.into())
            .filter(imports::Column::Id.eq(fresh))
            .exec(&app.db.conn)
            .await
            .unwrap();
        let stop = Shutdown::manual();
        let running = tokio::spawn(worker::run(app.state.clone(), Vec::new(), tasks, stop.clone()));
        let mut swept = false;
        for _ in 0..100 {
            if imports::Entity::find_by_id(fresh).one(&app.db.conn).await.unwrap().is_none() {
                swept = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        stop.request();
        running.await.unwrap();
        assert!(swept, "{backend:?}: the worker swept the expired draft");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_draft_can_be_discarded_and_missing_or_foreign_imports_are_404() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let signup = |name: &'static str, email: &'static str| {
            let app = &app;
            async move {
                app.post_form("/api/signup", &[("name", name), ("email", email), ("password", PASSWORD)], None)
                    .await
                    .session_cookie()
                    .unwrap()
            }
        };
        signup("Admin", "admin@example.com").await;
        let ana = signup("Ana", "ana@example.com").await;
        let bea = signup("Bea", "bea@example.com").await;
        let good = upload(&app, Some(&ana), MIXED.as_bytes(), "text/html").await;
        let id = good.location().unwrap().strip_prefix("/clients/imports/").unwrap().to_owned();
        assert_eq!(app.get(&format!("/clients/imports/{id}"), Some(&ana)).await.status, StatusCode::OK);
        let foreign = app.get(&format!("/clients/imports/{id}"), Some(&bea)).await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{backend:?}");
        assert!(foreign.body.contains("data-testid=\"error-page\""), "{backend:?}");
        assert_eq!(app.get("/clients/imports/999999", Some(&ana)).await.status, StatusCode::NOT_FOUND);
        let upload_page = app.get("/clients/import", Some(&ana)).await;
        assert!(upload_page.body.contains("leads.csv"), "{backend:?}: the history lists the draft");

        let others = app.post_form("/api/discard_client_import", &[("id", id.as_str())], Some(&bea)).await;
        assert_eq!(others.status, StatusCode::NOT_FOUND, "{backend:?}");
        let discarded = app.post_form("/api/discard_client_import", &[("id", id.as_str())], Some(&ana)).await;
        assert!(discarded.status.is_success() || discarded.status.is_redirection(), "{}", discarded.body);
        assert_eq!(imports::Entity::find().count(&app.db.conn).await.unwrap(), 0, "{backend:?}");
        assert_eq!(import_chunk::Entity::find().count(&app.db.conn).await.unwrap(), 0, "{backend:?}: with its file");
        assert_eq!(app.get(&format!("/clients/imports/{id}"), Some(&ana)).await.status, StatusCode::NOT_FOUND);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_started_import_cannot_be_discarded_and_the_history_shows_the_latest_imports() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bea = account(&app, "Bea", "bea@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let first = import_file(&app, &ana, MIXED, settings(friendly, "email", "skip")).await;
        let error = service::discard(&app.state, &ana, first).await.unwrap_err();
        assert_eq!(error.status_code(), 409, "{backend:?}");
        assert!(matches!(service::discard(&app.state, &bea, first).await, Err(AppError::NotFound(_))));
        let second = import_file(&app, &ana, MIXED, settings(friendly, "email", "skip")).await;
        let history = service::history(&app.state, &ana).await.unwrap();
        assert_eq!(history.iter().map(|import| import.id).collect::<Vec<_>>(), vec![second, first], "{backend:?}");
        let latest = &history[0];
        assert_eq!(latest.file_name, "leads.csv");
        assert!(!latest.at.is_empty());
        assert_eq!(
            (latest.progress.created, latest.progress.updated, latest.progress.skipped, latest.progress.failed),
            (0, 0, 4, 3),
            "{backend:?}: every row was added or failed the first time"
        );
        assert!(service::history(&app.state, &bea).await.unwrap().is_empty(), "{backend:?}: only one's own");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_file_larger_than_a_piece_is_stored_in_pieces_and_imports_whole() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        // Two-byte characters throughout, so that a piece boundary may fall inside one.
        let notes = "é".repeat(200);
        let rows = 3_000;
        let mut file = String::from("Name,Email,Phone,Company,Notes\n");
        for n in 0..rows {
            file.push_str(&format!("Clïent {n},c{n}@example.com,,,{notes}\n"));
        }
        assert!(file.len() > crm::clients::import::storage::CHUNK_BYTES);
        let id = service::create_draft(&app.state, &ana, "big.csv", file.into_bytes()).await.unwrap();
        let pieces = import_chunk::Entity::find().filter(import_chunk::Column::ImportId.eq(id)).count(&app.db.conn);
        assert_eq!(pieces.await.unwrap(), 2, "{backend:?}");
        let view = service::view(&app.state, &ana, id).await.unwrap();
        assert_eq!(view.preview.len(), 5, "{backend:?}: the preview reads the first piece");
        assert_eq!(view.preview[0][0], "Clïent 0");
        let settings = ImportSettings { on_duplicate: "skip".into(), ..notes_settings(friendly, false) };
        service::start(&app.state, &ana, id, &settings).await.unwrap();
        assert!(worker::run_once(&app.state, &crm::domains::queue_handlers(), &Shutdown::manual()).await);
        let done = import_row(&app, id).await;
        assert_eq!((done.status.as_str(), done.created, done.failed), ("done", rows, 0), "{backend:?}");
        let last = crm::clients::entity::Entity::find()
            .filter(crm::clients::entity::Column::Name.eq(format!("Clïent {}", rows - 1)))
            .one(&app.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last.notes.as_deref(), Some(notes.as_str()), "{backend:?}: the text is whole across pieces");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_export_holds_the_notes_given_at_creation_then_the_notes_log() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let friendly = strategy(&app, ana.id, "Friendly").await;
        let noted = ClientForm { name: "Noted".into(), notes: "Met at the fair.".into(), ..Default::default() };
        let id = make_client(&app, &ana, friendly, noted).await;
        crm::clients::notes::service::add(&app.state, &ana, id, "Called back.").await.unwrap();
        crm::clients::notes::service::add(&app.state, &ana, id, "Sent =the quote.").await.unwrap();
        make_client(&app, &ana, friendly, ClientForm { name: "Quiet".into(), ..Default::default() }).await;

        let text = exported(&app, &ana, ClientQuery::default()).await;
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let notes_column = reader.headers().unwrap().iter().position(|name| name == "Notes").unwrap();
        let cells: Vec<(String, String)> =
            reader.records().map(|r| r.unwrap()).map(|r| (r[0].to_owned(), r[notes_column].to_owned())).collect();
        let noted = &cells.iter().find(|(name, _)| name == "Noted").unwrap().1;
        assert!(noted.starts_with("Met at the fair.\n\n["), "{backend:?}: {noted:?}");
        let called = noted.find("· Ana]\nCalled back.").expect("the first note, with its author");
        let quoted = noted.find("· Ana]\nSent =the quote.").expect("the second note");
        assert!(called < quoted, "{backend:?}: oldest first: {noted:?}");
        assert_eq!(cells.iter().find(|(name, _)| name == "Quiet").unwrap().1, "", "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn an_upload_is_stored_as_it_arrives_hidden_until_complete_and_deleted_when_refused() {
    use crm::clients::import::storage::CHUNK_BYTES;
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let mut rows = String::new();
        let mut n: u64 = 0;
        while rows.len() < 3 * CHUNK_BYTES {
            rows.push_str(&format!("Client {n},c{n}@example.com,,,\n"));
            n += 1;
        }
        let pieces_of =
            |id: i64| import_chunk::Entity::find().filter(import_chunk::Column::ImportId.eq(id)).count(&app.db.conn);

        let mut upload = service::begin_upload(&app.state, &ana, "arriving.csv").await.unwrap();
        upload.write(&app.db.conn, b"Full Name,E-mail,Phone,Stage,External ID\n").await.unwrap();
        for piece in rows.as_bytes().chunks(64 * 1024) {
            upload.write(&app.db.conn, piece).await.unwrap();
        }
        assert!(pieces_of(upload.id).await.unwrap() >= 2, "{backend:?}: stored while it arrives");
        assert!(matches!(service::view(&app.state, &ana, upload.id).await, Err(AppError::NotFound(_))), "{backend:?}");
        assert!(service::history(&app.state, &ana).await.unwrap().is_empty(), "{backend:?}: not listed yet");
        let id = service::complete_upload(&app.state, &ana, &mut upload).await.unwrap();
        let draft = service::view(&app.state, &ana, id).await.unwrap();
        assert_eq!((draft.progress.row_count, draft.header.len()), (n, 5), "{backend:?}");
        assert_eq!(service::history(&app.state, &ana).await.unwrap().len(), 1, "{backend:?}");

        // Binary data after megabytes of good rows: everything stored of it is deleted.
        let mut refused = service::begin_upload(&app.state, &ana, "broken.csv").await.unwrap();
        refused.write(&app.db.conn, b"Name\n").await.unwrap();
        for piece in rows.as_bytes().chunks(64 * 1024) {
            refused.write(&app.db.conn, piece).await.unwrap();
        }
        assert!(pieces_of(refused.id).await.unwrap() >= 2);
        let error = refused.write(&app.db.conn, b"Bad\x00row\n").await.unwrap_err();
        assert!(error.field_message("file").unwrap_or_default().contains("binary data"), "{backend:?}: {error}");
        refused.abandon(&app.db.conn).await.unwrap();
        assert_eq!(pieces_of(refused.id).await.unwrap(), 0, "{backend:?}");
        assert!(imports::Entity::find_by_id(refused.id).one(&app.db.conn).await.unwrap().is_none());

        // An upload cut off by a crash counts as a draft, and is swept after an hour.
        let cut_off = service::begin_upload(&app.state, &ana, "cut.csv").await.unwrap();
        let now = chrono::Utc::now();
        assert_eq!(service::sweep_expired_drafts(&app.db.conn, now).await.unwrap(), 0, "{backend:?}");
        let later = now + chrono::Duration::minutes(61);
        assert_eq!(service::sweep_expired_drafts(&app.db.conn, later).await.unwrap(), 1, "{backend:?}");
        assert!(imports::Entity::find_by_id(cut_off.id).one(&app.db.conn).await.unwrap().is_none());
        assert!(imports::Entity::find_by_id(id).one(&app.db.conn).await.unwrap().is_some(), "the complete draft stays");
        app.cleanup().await;
    }
}
