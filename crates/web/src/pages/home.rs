//! The public home page: the council, the three pillars, the organisations.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use domain::Pillar;
use store::catalogue::{self, Filter};

use crate::auth::Viewer;
use crate::view::Layout;
use crate::{AppState, WebError};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(page))
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    preamble: String,
    pillars: Vec<(u8, String, usize)>,
    organisations: Vec<(String, String, usize)>,
}

async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<HomePage, WebError> {
    let initiatives = catalogue::list(&state.store, &Filter::default()).await?;
    let directory = store::organisations::directory(&state.store).await?;
    let document = store::seed::document()?;
    Ok(HomePage {
        layout: Layout::for_viewer("トップ", &viewer),
        preamble: document
            .preamble
            .split("\n\n")
            .next()
            .unwrap_or("")
            .to_owned(),
        pillars: Pillar::ALL
            .iter()
            .map(|p| {
                let count = initiatives.iter().filter(|i| i.pillars.contains(p)).count();
                (p.number(), p.heading(), count)
            })
            .collect(),
        organisations: directory
            .organisations
            .iter()
            .map(|o| {
                let count = initiatives
                    .iter()
                    .filter(|i| i.organisation.id == o.id)
                    .count();
                (o.key.clone(), o.name.clone(), count)
            })
            .collect(),
    })
}
