//! The bookings list as a test reads it: an address's query as a `BookingListQuery`, and every
//! page of it.
use crm::{
    bookings::list::{model::BookingListQuery, service},
    users::model::CurrentUser,
};

use super::app::TestApp;

/// `made_from=…&status=…` (or a whole `/bookings/list?…` address) as the list's query; an unknown
/// parameter fails the test.
pub fn query(address: &str) -> BookingListQuery {
    let query = address.split_once('?').map_or(address, |(path, query)| {
        assert_eq!(path, crm::bookings::list::model::PATH, "{address}");
        query
    });
    let mut list = BookingListQuery::default();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = value.into_owned();
        match key.as_ref() {
            "q" => list.q = value,
            "made_from" => list.made_from = value,
            "made_to" => list.made_to = value,
            "from" => list.from = value,
            "to" => list.to = value,
            "status" => list.status = value,
            "owner" => list.owner = value,
            "sort" => list.sort = value,
            "after" => list.after = value,
            other => panic!("{address}: no parameter {other}"),
        }
    }
    list
}

/// Every booking id of the list's pages as `user` sees them, in order, and the count each page
/// gave.
pub async fn every_page(app: &TestApp, user: &CurrentUser, query: BookingListQuery) -> (Vec<i64>, Vec<u64>) {
    let mut query = query;
    let (mut ids, mut totals) = (Vec::new(), Vec::new());
    for _ in 0..50 {
        let page = service::page(&app.state, user, &query).await.unwrap();
        assert!(page.rows.len() <= 25);
        ids.extend(page.rows.iter().map(|row| row.id));
        totals.push(page.total);
        match page.next {
            Some(after) => query = BookingListQuery { after, ..query },
            None => return (ids, totals),
        }
    }
    panic!("the pages never end");
}
