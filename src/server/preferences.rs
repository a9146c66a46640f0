//! `POST /preferences/theme`: the theme switch without JavaScript. Remembers the choice in a cookie
//! and sends the browser back to the page it came from (one of ours).
use axum::{
    Form,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::state::AppState;
use crate::ui::theme::Theme;

#[derive(Deserialize)]
pub struct ThemeChoice {
    theme: String,
    #[serde(default)]
    back: String,
}

pub async fn choose_theme(State(state): State<AppState>, Form(choice): Form<ThemeChoice>) -> Response {
    let Some(theme) = Theme::parse(&choice.theme) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "theme must be system, light or dark").into_response();
    };
    let back = super::redirect::same_site_or(Some(&choice.back), "/");
    (StatusCode::SEE_OTHER, [(header::SET_COOKIE, theme.cookie(state.config.secure)), (header::LOCATION, back)])
        .into_response()
}
