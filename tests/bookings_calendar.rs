//! The calendar's service on SQLite and on PostgreSQL: the week grid in the owner's zone with the
//! working hours, the agenda's keyset pages, who sees whose calendar, the new-booking form (free
//! slots from the one slot function, a time of one's own, a clash named), rescheduling in local
//! time, and settings' working hours that never destroy windows set in the availability editor.
#![cfg(feature = "ssr")]

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::{
    BACKENDS,
    accounts::account,
    app::TestApp,
    booking_list::{every_page as listed_pages, query as address},
};
use crm::{
    bookings::{
        availability::{service as availability, window_entity as windows},
        calendar::{BookingForm, CalendarQuery, CalendarView},
        calendar_service::{self as calendar, FormRequest},
        list::service as booking_list,
        model::{BookingStatus, NewBooking, WeeklyHoursForm},
        service,
        types::entity as booking_types,
    },
    clients::{
        model::ClientForm,
        service::{self as client_service, Duplicates},
    },
    shared::AppError,
    users::{entity as users, model::CurrentUser},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

async fn in_zone(app: &TestApp, user: &mut CurrentUser, zone: &str) {
    users::Entity::update_many()
        .col_expr(users::Column::Timezone, Expr::value(zone))
        .filter(users::Column::Id.eq(user.id))
        .exec(&app.db.conn)
        .await
        .unwrap();
    user.timezone = zone.to_owned();
}

async fn default_type(app: &TestApp, owner: i64) -> i64 {
    booking_types::Entity::find()
        .filter(booking_types::Column::OwnerId.eq(owner))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn book(app: &TestApp, user: &CurrentUser, starts_at: &str, minutes: i64, subject: &str) -> i64 {
    let starts_at = at(starts_at);
    let input = NewBooking {
        owner_id: user.id,
        starts_at,
        ends_at: Some(starts_at + Duration::minutes(minutes)),
        subject: subject.into(),
        ..Default::default()
    };
    service::create(&app.state, user, input).await.unwrap().id
}

fn query(view: &str, date: &str) -> CalendarQuery {
    CalendarQuery { view: view.into(), date: date.into(), ..Default::default() }
}

#[tokio::test]
async fn the_week_places_bookings_in_the_owners_zone_over_the_working_hours() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Admin", "admin@example.com").await;
        let mut ana = account(&app, "Ana", "ana@example.com").await;
        in_zone(&app, &mut ana, "Europe/Berlin").await;
        // Tuesday 10:00–10:30 in Berlin; a cancelled one at 14:00; Sunday 23:30 is still Sunday.
        let kept = book(&app, &ana, "2027-03-02T09:00:00Z", 30, "Discovery").await;
        let gone = book(&app, &ana, "2027-03-02T13:00:00Z", 60, "Dropped").await;
        service::cancel(&app.state, &ana, gone, "No longer needed").await.unwrap();
        book(&app, &ana, "2027-03-07T22:30:00Z", 30, "Late").await;
        let now = at("2027-03-02T11:10:00Z");

        let week = calendar::calendar(&app.state, &ana, &query("week", "2027-03-03"), now).await.unwrap();
        assert_eq!(week.view, Some(CalendarView::Week));
        assert_eq!(week.days.iter().map(|d| d.date).collect::<Vec<_>>().first(), Some(&day("2027-03-01")));
        assert_eq!(week.days.len(), 7);
        assert_eq!((week.previous, week.next), (day("2027-02-24"), day("2027-03-10")));
        assert_eq!(week.title, "1 – 7 Mar 2027");
        let tuesday = &week.days[1];
        assert!(tuesday.is_today, "{backend:?}");
        assert_eq!(tuesday.entries.len(), 1, "{backend:?}: the cancelled booking leaves the grid");
        let entry = &tuesday.entries[0];
        assert_eq!((entry.id, entry.time_label.as_str()), (kept, "10:00–10:30"));
        // The grid runs 08:00–24:00 (the late booking widens it): 10:00 is row 9, two rows long.
        assert_eq!(week.hour_labels.first().map(String::as_str), Some("08:00"));
        assert_eq!(week.rows, 16 * 4);
        assert_eq!((entry.row, entry.span), (9, 2));
        // Weekdays 09:00–17:00 by default, in Berlin; nothing on Saturday.
        assert_eq!(tuesday.working, vec![(5, 32)]);
        assert!(week.days[5].working.is_empty());
        assert_eq!(week.days[6].entries[0].time_label, "23:30–00:00");
        // 12:10 in Berlin: row 17.
        assert_eq!(week.now_row, Some(17));
        assert!(week.agenda.is_empty(), "{backend:?}: a chosen week view has no agenda");

        let one_day = calendar::calendar(&app.state, &ana, &query("day", "2027-03-02"), now).await.unwrap();
        assert_eq!((one_day.days.len(), one_day.days[0].entries.len()), (1, 1));
        assert_eq!((one_day.previous, one_day.next), (day("2027-03-01"), day("2027-03-03")));

        // Without a view: the grid for a desk and the agenda for a phone, both from the server.
        let both = calendar::calendar(&app.state, &ana, &query("", "2027-03-02"), now).await.unwrap();
        assert_eq!(both.view, None);
        assert_eq!((both.days.len(), both.agenda.len()), (7, 2), "{backend:?}: Tuesday and Sunday");

        // An admin opens anyone's calendar; a user only their own.
        let as_admin = CalendarQuery { owner: ana.id.to_string(), ..query("agenda", "2027-03-01") };
        let seen = calendar::calendar(&app.state, &admin, &as_admin, now).await.unwrap();
        assert_eq!((seen.owner_id, seen.owners.len()), (ana.id, 2));
        let foreign = CalendarQuery { owner: admin.id.to_string(), ..query("week", "") };
        assert!(matches!(calendar::calendar(&app.state, &ana, &foreign, now).await, Err(AppError::NotFound(_))));
        assert!(calendar::page(&app.state, &admin, kept, now).await.is_ok());
        let outsider = account(&app, "Outsider", "out@example.com").await;
        assert!(matches!(calendar::page(&app.state, &outsider, kept, now).await, Err(AppError::NotFound(_))));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_agenda_pages_by_keyset_without_gaps_or_repeats() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        // 30 bookings, two at the very same start on one day (the id breaks the tie).
        let mut expected = Vec::new();
        for n in 0..28 {
            let start = at("2027-04-01T08:00:00Z") + Duration::hours(n * 5);
            expected.push(book(&app, &ana, &start.to_rfc3339(), 30, &format!("Call {n}")).await);
        }
        let twin = at("2027-04-20T08:00:00Z");
        let first_twin = book(&app, &ana, &twin.to_rfc3339(), 30, "Twin").await;
        service::cancel(&app.state, &ana, first_twin, "").await.unwrap();
        expected.push(first_twin);
        expected.push(book(&app, &ana, &twin.to_rfc3339(), 30, "Twin again").await);
        // Before the agenda's first day: not listed.
        book(&app, &ana, "2027-03-30T08:00:00Z", 30, "Earlier").await;

        let now = at("2027-03-01T00:00:00Z");
        let mut seen = Vec::new();
        let mut after = String::new();
        let mut pages = 0;
        loop {
            let page = calendar::calendar(
                &app.state,
                &ana,
                &CalendarQuery { after: after.clone(), ..query("agenda", "2027-04-01") },
                now,
            )
            .await
            .unwrap();
            pages += 1;
            let ids: Vec<i64> = page.agenda.iter().flat_map(|d| d.entries.iter().map(|e| e.id)).collect();
            assert!(ids.len() <= 25, "{backend:?}");
            seen.extend(ids);
            // Days are listed once per page, in order.
            assert!(page.agenda.windows(2).all(|pair| pair[0].date < pair[1].date), "{backend:?}");
            match page.agenda_after {
                Some(cursor) => after = cursor,
                None => break,
            }
        }
        assert_eq!(pages, 2, "{backend:?}");
        let mut sorted = expected.clone();
        sorted.sort_unstable();
        let mut got = seen.clone();
        got.sort_unstable();
        assert_eq!(got, sorted, "{backend:?}: every booking once");
        let twins: Vec<_> = seen.iter().filter(|id| **id == first_twin || **id == *expected.last().unwrap()).collect();
        assert_eq!(twins, vec![&first_twin, expected.last().unwrap()], "{backend:?}: ties by id");
        // A cancelled booking stays in the agenda with its status.
        let page = calendar::calendar(&app.state, &ana, &CalendarQuery { after, ..query("agenda", "2027-04-01") }, now)
            .await
            .unwrap();
        assert!(page.agenda.iter().flat_map(|d| &d.entries).any(|e| e.status == BookingStatus::Cancelled));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_form_books_offered_slots_and_own_times_and_names_a_clash() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let _admin = account(&app, "Admin", "admin@example.com").await;
        let mut ana = account(&app, "Ana", "ana@example.com").await;
        in_zone(&app, &mut ana, "Europe/Lisbon").await;
        let type_id = default_type(&app, ana.id).await;
        let now = at("2027-03-01T06:00:00Z");

        let data = calendar::form_data(
            &app.state,
            &ana,
            &FormRequest { date: "2027-03-01".into(), start: "2027-03-03T15:20".into(), ..Default::default() },
            now,
        )
        .await
        .unwrap();
        assert_eq!((data.type_id, data.timezone.as_str()), (Some(type_id), "Europe/Lisbon"));
        assert_eq!((data.start_date.as_str(), data.start_time.as_str()), ("2027-03-03", "15:20"));
        // Monday from 09:00 Lisbon (two hours' notice from 06:00 is 08:00), every 30 minutes.
        let (label, monday) = &data.slot_days[0];
        assert_eq!(label, "Monday 1 March");
        assert_eq!(monday[0].time, "09:00");
        let first = monday[0].starts_at;

        let slot = BookingForm {
            booking_type_id: type_id.to_string(),
            slot: first.to_rfc3339(),
            subject: "Intro".into(),
            ..Default::default()
        };
        let booked = calendar::book(&app.state, &ana, &slot).await.unwrap();
        assert_eq!((booked.starts_at, booked.ends_at), (first, first + Duration::minutes(30)));
        let after = calendar::form_data(&app.state, &ana, &FormRequest::default(), now).await.unwrap();
        assert!(after.slot_days[0].1.iter().all(|s| s.starts_at != first), "{backend:?}: the slot is taken");

        match calendar::book(&app.state, &ana, &slot).await {
            Err(AppError::Conflict(message)) => assert!(message.contains("09:00–09:30"), "{backend:?}: {message}"),
            other => panic!("{backend:?}: {other:?}"),
        }
        // A time of one's own, in the owner's zone: 09:15 overlaps; 18:00 for 45 minutes does not.
        let own = |date: &str, time: &str, minutes: &str| BookingForm {
            date: date.into(),
            time: time.into(),
            duration_min: minutes.into(),
            ..Default::default()
        };
        assert!(matches!(
            calendar::book(&app.state, &ana, &own("2027-03-01", "09:15", "30")).await,
            Err(AppError::Conflict(_))
        ));
        let evening = calendar::book(&app.state, &ana, &own("2027-03-01", "18:00", "45")).await.unwrap();
        assert_eq!((evening.starts_at, evening.ends_at), (at("2027-03-01T18:00:00Z"), at("2027-03-01T18:45:00Z")));
        // Lisbon skips 01:00–02:00 on 28 March 2027.
        let skipped = calendar::book(&app.state, &ana, &own("2027-03-28", "01:30", "30")).await.unwrap_err();
        assert!(skipped.field_message("time").is_some(), "{backend:?}: {skipped:?}");
        let nothing = calendar::book(&app.state, &ana, &BookingForm::default()).await.unwrap_err();
        assert!(nothing.field_message("slot").is_some(), "{backend:?}: {nothing:?}");
        let bad = calendar::book(&app.state, &ana, &own("2027-03-02", "10:00", "3")).await.unwrap_err();
        assert!(bad.field_message("duration_min").is_some(), "{backend:?}: {bad:?}");

        // Summer time: 14:00 in Lisbon on 5 April is 13:00 UTC.
        let moved = calendar::reschedule_local(&app.state, &ana, evening.id, "2027-04-05", "14:00").await.unwrap();
        assert_eq!(moved.starts_at, at("2027-04-05T13:00:00Z"));
        assert!(calendar::reschedule_local(&app.state, &ana, evening.id, "2027-04-05", "9h").await.is_err());

        // Another user's client is out of reach; an outsider cannot book into Ana's calendar.
        let outsider = account(&app, "Outsider", "out@example.com").await;
        let foreign = BookingForm { owner_id: ana.id.to_string(), ..own("2027-03-02", "10:00", "30") };
        assert!(matches!(calendar::book(&app.state, &outsider, &foreign).await, Err(AppError::NotFound(_))));
        app.cleanup().await;
    }
}

async fn client(app: &TestApp, owner: &CurrentUser, name: &str, email: &str) -> i64 {
    let strategy = common::accounts::strategy(app, owner.id, &format!("{name}'s strategy")).await;
    let form =
        ClientForm { name: name.into(), email: email.into(), strategy_id: strategy.to_string(), ..Default::default() };
    client_service::create(&app.state, owner, &form, Duplicates::Allow).await.unwrap()
}

#[tokio::test]
async fn the_form_finds_the_owners_clients_by_name_or_email_and_books_for_the_chosen_one() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bo = account(&app, "Bo", "bo@example.com").await;
        let nora = client(&app, &ana, "Nora North", "nora@example.com").await;
        let ned = client(&app, &ana, "Ned Nash", "ned@sample.org").await;
        client(&app, &ana, "Olga Other", "olga@example.com").await;
        let bos = client(&app, &bo, "Nora Bo's", "nora.b@example.com").await;
        let now = at("2027-03-01T06:00:00Z");
        let form = |user: &CurrentUser, request: FormRequest| {
            let (state, user) = (app.state.clone(), user.clone());
            async move { calendar::form_data(&state, &user, &request, now).await.unwrap() }
        };
        let ids = |data: &crm::bookings::calendar::BookingFormData| {
            data.client_choices.iter().map(|(id, _, _)| *id).collect::<Vec<_>>()
        };

        // No search, no list; a search by name or by email finds only the owner's own clients.
        assert!(form(&ana, FormRequest::default()).await.client_choices.is_empty());
        let by_name = form(&ana, FormRequest { client_q: "nora".into(), ..Default::default() }).await;
        assert_eq!(ids(&by_name), [nora], "{backend:?}");
        assert_eq!(by_name.client_choices[0].2, "nora@example.com");
        let by_email = form(&ana, FormRequest { client_q: "SAMPLE.org".into(), ..Default::default() }).await;
        assert_eq!(ids(&by_email), [ned], "{backend:?}");
        let both = form(&ana, FormRequest { client_q: "n".into(), ..Default::default() }).await;
        assert_eq!(ids(&both), [ned, nora], "{backend:?}: by name");
        // `?client=` comes first and is not repeated by the search.
        let preselected =
            form(&ana, FormRequest { client: Some(nora), client_q: "n".into(), ..Default::default() }).await;
        assert_eq!(ids(&preselected), [nora, ned], "{backend:?}");
        // An admin searches the chosen owner's clients.
        let for_bo =
            form(&admin, FormRequest { owner: Some(bo.id), client_q: "nora".into(), ..Default::default() }).await;
        assert_eq!(ids(&for_bo), [bos], "{backend:?}");
        // A search longer than any search box allows is refused before the database sees it.
        let long = FormRequest { client_q: "n".repeat(201), ..Default::default() };
        let refused = calendar::form_data(&app.state, &ana, &long, now).await.unwrap_err();
        assert_eq!(refused.status_code(), 422, "{backend:?}: {refused:?}");

        // The chosen client is the booking's; another owner's client is refused.
        let own = |client_id: i64| BookingForm {
            client_id: client_id.to_string(),
            date: "2027-03-02".into(),
            time: "10:00".into(),
            duration_min: "30".into(),
            ..Default::default()
        };
        let booked = calendar::book(&app.state, &ana, &own(ned)).await.unwrap();
        assert_eq!(booked.client_id, Some(ned));
        let refused = calendar::book(&app.state, &ana, &own(bos)).await.unwrap_err();
        assert!(refused.field_message("client_id").is_some(), "{backend:?}: {refused:?}");
        app.cleanup().await;
    }
}

async fn weekly(app: &TestApp, user_id: i64) -> Vec<(i16, i32, i32)> {
    windows::Entity::find()
        .filter(windows::Column::UserId.eq(user_id))
        .order_by_asc(windows::Column::Weekday)
        .order_by_asc(windows::Column::StartMinute)
        .all(&app.db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|w| (w.weekday, w.start_minute, w.end_minute))
        .collect()
}

#[tokio::test]
async fn saving_settings_never_destroys_windows_set_in_the_availability_editor() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let form = WeeklyHoursForm {
            mon: "09:00-12:00, 13:00-17:00".into(),
            tue: "09:00-17:00".into(),
            wed: "09:00-17:00".into(),
            ..Default::default()
        };
        availability::set_weekly_hours(&app.state, &ana, ana.id, &form).await.unwrap();

        // Settings: Monday and Tuesday changed to 08:00–16:00, Wednesday switched off, the rest as
        // they were (Thursday and Friday 09:00–17:00 in settings; no windows in the editor).
        let mut hours = std::collections::BTreeMap::new();
        for (key, on, start, end) in [
            ("mon", true, "08:00", "16:00"),
            ("tue", true, "08:00", "16:00"),
            ("wed", false, "09:00", "17:00"),
            ("thu", true, "09:00", "17:00"),
            ("fri", true, "09:00", "17:00"),
            ("sat", false, "09:00", "17:00"),
            ("sun", false, "09:00", "17:00"),
        ] {
            if on {
                hours.insert(format!("{key}_on"), "on".to_owned());
            }
            hours.insert(format!("{key}_start"), start.to_owned());
            hours.insert(format!("{key}_end"), end.to_owned());
        }
        let profile = crm::users::profile::ProfileForm {
            name: "Ana".into(),
            company: String::new(),
            timezone: "UTC".into(),
            booking_enabled: None,
            hours,
            ghl_calendar_id: String::new(),
            ghl_location_id: String::new(),
            ghl_assigned_user_id: String::new(),
        };
        crm::users::settings_service::update_profile(&app.state, &ana, profile).await.unwrap();
        assert_eq!(
            weekly(&app, ana.id).await,
            vec![(0, 540, 720), (0, 780, 1020), (1, 480, 960)],
            "{backend:?}: Monday keeps its two windows, Tuesday takes the new hours, Wednesday is off, \
             Thursday and Friday (unchanged in settings) stay as the editor left them"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_bookings_list_pages_each_order_by_keyset_and_filters_in_the_viewers_days() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Admin", "admin@example.com").await;
        let mut ana = account(&app, "Ana", "ana@example.com").await;
        in_zone(&app, &mut ana, "Europe/Berlin").await;
        let bob = account(&app, "Bob", "bob@example.com").await;
        // 30 of Ana's, five hours apart from 10:00 in Berlin on Thursday 1 April 2027; the fourth
        // (23:00 UTC) is already Friday there. All were made at the same instant but one.
        let mut anas = Vec::new();
        for n in 0..30 {
            let start = at("2027-04-01T08:00:00Z") + Duration::hours(n * 5);
            anas.push(book(&app, &ana, &start.to_rfc3339(), 30, &format!("Call {n}")).await);
        }
        let bobs = [
            book(&app, &bob, "2027-04-03T09:00:00Z", 30, "Bob 1").await,
            book(&app, &bob, "2027-04-04T09:00:00Z", 30, "Bob 2").await,
        ];
        let db = &app.db.conn;
        let made = at("2027-03-20T12:00:00Z");
        crm::bookings::entity::Entity::update_many()
            .col_expr(crm::bookings::entity::Column::CreatedAt, Expr::value(made))
            .exec(db)
            .await
            .unwrap();
        // Made at 00:30 on Sunday 28 March in Berlin, the night the clocks go forward (23:30 UTC
        // the day before).
        crm::bookings::entity::Entity::update_many()
            .col_expr(crm::bookings::entity::Column::CreatedAt, Expr::value(at("2027-03-27T23:30:00Z")))
            .filter(crm::bookings::entity::Column::Id.eq(anas[7]))
            .exec(db)
            .await
            .unwrap();
        service::cancel(&app.state, &ana, anas[5], "").await.unwrap();
        crm::bookings::entity::Entity::update_many()
            .col_expr(crm::bookings::entity::Column::Status, Expr::value("no_show"))
            .filter(crm::bookings::entity::Column::Id.is_in([anas[1], anas[2]]))
            .exec(db)
            .await
            .unwrap();
        crm::bookings::entity::Entity::update_many()
            .col_expr(crm::bookings::entity::Column::Status, Expr::value("completed"))
            .filter(crm::bookings::entity::Column::Id.eq(anas[3]))
            .exec(db)
            .await
            .unwrap();

        // Every order, two pages, each booking once; ties (the same moment made) broken by id.
        let by_start: Vec<i64> = anas.clone();
        let mut by_made: Vec<i64> = anas.iter().copied().filter(|id| *id != anas[7]).collect();
        by_made.sort_unstable();
        by_made.push(anas[7]);
        for (sort, expected) in [
            ("starts", by_start.clone()),
            ("-starts", by_start.iter().rev().copied().collect()),
            ("made", by_made.clone()),
            ("-made", by_made.iter().rev().copied().collect()),
        ] {
            let (ids, totals) = listed_pages(&app, &ana, address(&format!("sort={sort}"))).await;
            assert_eq!(ids, expected, "{backend:?} sort={sort}");
            assert_eq!(totals, [30, 30], "{backend:?} sort={sort}");
        }

        // Days are the viewer's: Thursday in Berlin holds the first three, not the fourth.
        let thursday = address("from=2027-04-01&to=2027-04-01&sort=starts");
        assert_eq!(listed_pages(&app, &ana, thursday).await.0, anas[..3], "{backend:?}");
        let made_sunday = address("made_from=2027-03-28&made_to=2027-03-28");
        assert_eq!(listed_pages(&app, &ana, made_sunday).await.0, [anas[7]], "{backend:?}: the 23-hour Sunday");
        let made_saturday = address("made_from=2027-03-27&made_to=2027-03-27");
        assert!(listed_pages(&app, &ana, made_saturday).await.0.is_empty(), "{backend:?}");
        let from_only = address("from=2027-04-07&sort=starts");
        assert_eq!(listed_pages(&app, &ana, from_only).await.0, anas[27..], "{backend:?}: from a day on");
        let until_only = address("to=2027-04-01&sort=starts");
        assert_eq!(listed_pages(&app, &ana, until_only).await.0, anas[..3], "{backend:?}: up to a day");
        let reversed = address("from=2027-04-05&to=2027-04-01");
        assert!(listed_pages(&app, &ana, reversed).await.0.is_empty(), "{backend:?}: a reversed range");

        // Statuses.
        let status = |value: &str| address(&format!("status={value}&sort=starts"));
        assert_eq!(listed_pages(&app, &ana, status("cancelled")).await.0, [anas[5]], "{backend:?}");
        assert_eq!(listed_pages(&app, &ana, status("no_show")).await.0, [anas[1], anas[2]], "{backend:?}");
        assert_eq!(listed_pages(&app, &ana, status("attended")).await.0, anas[1..4], "{backend:?}");
        assert_eq!(listed_pages(&app, &ana, status("confirmed")).await.1, [26, 26], "{backend:?}");

        // Whose: a member only ever their own; an admin everyone's (with the owner named) or one's.
        let as_bob = address(&format!("owner={}&sort=starts", ana.id));
        assert_eq!(listed_pages(&app, &bob, as_bob).await.0, bobs, "{backend:?}");
        let everyone = booking_list::page(&app.state, &admin, &address("sort=-starts")).await.unwrap();
        assert_eq!(everyone.total, 32, "{backend:?}");
        assert_eq!(everyone.rows[0].owner_name.as_deref(), Some("Ana"), "{backend:?}");
        assert_eq!(everyone.owners.len(), 3);
        let only_bob = address(&format!("owner={}&sort=starts", bob.id));
        let page = booking_list::page(&app.state, &admin, &only_bob).await.unwrap();
        assert_eq!(page.rows.iter().map(|row| row.id).collect::<Vec<_>>(), bobs, "{backend:?}");
        assert!(page.rows.iter().all(|row| row.owner_name.is_none()));
        assert!(booking_list::page(&app.state, &ana, &address("")).await.unwrap().owners.is_empty());

        // Times in the viewer's zone; what does not parse is ignored.
        let first = booking_list::page(&app.state, &ana, &address("sort=starts")).await.unwrap();
        assert_eq!(first.rows[0].when, "Thu 1 Apr 2027, 10:00–10:30", "{backend:?}");
        assert_eq!(first.rows[0].made, "20 Mar 2027");
        assert_eq!(first.timezone, "Europe/Berlin");
        let garbage = address(
            "made_from=yesterday&to=2027-13-45&status=<script>&owner=1 OR 1=1&sort=starts; DROP TABLE bookings&after=not.a-cursor",
        );
        let (ids, totals) = listed_pages(&app, &ana, garbage).await;
        assert_eq!((ids.len(), totals[0]), (30, 30), "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_bookings_list_searches_its_clients_as_the_clients_list_does() {
    for backend in BACKENDS {
        let app = common::app::start(backend).await;
        let admin = account(&app, "Admin", "admin@example.com").await;
        let ana = account(&app, "Ana", "ana@example.com").await;
        let bob = account(&app, "Bob", "bob@example.com").await;
        let grace = client(&app, &ana, "Grace Hopper", "grace@navy.example").await;
        let ada = client(&app, &ana, "Ada Lovelace", "ada@engines.example").await;
        let kelly = client(&app, &bob, "Grace Kelly", "kelly@monaco.example").await;
        let with = |owner: &CurrentUser, client_id: i64, start: &str| {
            let input = NewBooking {
                owner_id: owner.id,
                client_id: Some(client_id),
                starts_at: at(start),
                ends_at: Some(at(start) + Duration::minutes(30)),
                subject: "Call".into(),
                ..Default::default()
            };
            let (state, owner) = (app.state.clone(), owner.clone());
            async move { service::create(&state, &owner, input).await.unwrap().id }
        };
        let grace_calls =
            [with(&ana, grace, "2027-04-01T08:00:00Z").await, with(&ana, grace, "2027-04-02T08:00:00Z").await];
        let ada_call = with(&ana, ada, "2027-04-01T10:00:00Z").await;
        let kelly_call = with(&bob, kelly, "2027-04-01T08:00:00Z").await;
        book(&app, &ana, "2027-04-03T08:00:00Z", 30, "Grace period").await;

        let search = |q: &str, more: &str| address(&format!("q={}&sort=starts{more}", url_encode(q)));
        // Any word in any of the name, email, phone or company; every word must be found.
        assert_eq!(listed_pages(&app, &ana, search("grace", "")).await.0, grace_calls, "{backend:?}");
        assert_eq!(listed_pages(&app, &ana, search("HOPPER navy", "")).await.0, grace_calls, "{backend:?}");
        assert_eq!(listed_pages(&app, &ana, search("engines", "")).await.0, [ada_call], "{backend:?}");
        // Words shorter than SQLite's trigrams are searched too.
        assert_eq!(listed_pages(&app, &ana, search("ad", "")).await.0, [ada_call], "{backend:?}");
        assert!(listed_pages(&app, &ana, search("hopper lovelace", "")).await.0.is_empty(), "{backend:?}");
        // With the filters, on every page's count.
        let first_day = search("grace", "&from=2027-04-01&to=2027-04-01");
        assert_eq!(listed_pages(&app, &ana, first_day).await, (vec![grace_calls[0]], vec![1]), "{backend:?}");
        // A member searches only their own bookings; an admin everyone's.
        assert_eq!(listed_pages(&app, &bob, search("grace", "")).await.0, [kelly_call], "{backend:?}");
        let everyone = listed_pages(&app, &admin, search("grace", "")).await.0;
        assert_eq!(everyone, [grace_calls[0], kelly_call, grace_calls[1]], "{backend:?}");
        // One person's list searches that person's clients: a booking whose client moved to
        // someone else is still listed, but no longer found by its client, except by everyone's.
        crm::clients::entity::Entity::update_many()
            .col_expr(crm::clients::entity::Column::OwnerId, Expr::value(bob.id))
            .filter(crm::clients::entity::Column::Id.eq(ada))
            .exec(&app.db.conn)
            .await
            .unwrap();
        assert!(listed_pages(&app, &ana, search("lovelace", "")).await.0.is_empty(), "{backend:?}");
        assert!(listed_pages(&app, &bob, search("lovelace", "")).await.0.is_empty(), "{backend:?}: not Bob's booking");
        assert_eq!(listed_pages(&app, &admin, search("lovelace", "")).await.0, [ada_call], "{backend:?}");
        let anas_for_admin = search("lovelace", &format!("&owner={}", ana.id));
        assert!(listed_pages(&app, &admin, anas_for_admin).await.0.is_empty(), "{backend:?}");
        // Wildcards and quotes are text; blank words search nothing.
        for hostile in ["%", "_race", "' OR 1=1 --", "\"grace"] {
            assert!(listed_pages(&app, &ana, search(hostile, "")).await.0.is_empty(), "{backend:?} {hostile}");
        }
        assert_eq!(listed_pages(&app, &ana, search("   ", "")).await.0.len(), 4, "{backend:?}");
        app.cleanup().await;
    }
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
