//! An HTML form as posted: ordered name/value pairs, with repeated names (checkbox
//! groups, rows of KPIs) kept in order — which axum's `Form` cannot express.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

use crate::WebError;

#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = match Bytes::from_request(request, state).await {
            Ok(bytes) => bytes,
            // A body cut off by the size limit is a 413 with its Japanese page.
            Err(rejection)
                if crate::layers::over_body_limit(rejection.status(), &rejection.body_text()) =>
            {
                return Err(WebError::TooLarge);
            }
            Err(_) => {
                return Err(WebError::BadRequest(
                    "送信内容を読み取れませんでした。".into(),
                ));
            }
        };
        Ok(FormData(
            form_urlencoded::parse(&bytes).into_owned().collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_keep_their_order() {
        let form = FormData(
            form_urlencoded::parse(b"pillars=2&title=%E5%A1%BE&pillars=1")
                .into_owned()
                .collect(),
        );
        assert_eq!(form.get("title"), "塾");
        assert_eq!(form.all("pillars"), ["2", "1"]);
        assert_eq!(form.get("missing"), "");
    }
}
