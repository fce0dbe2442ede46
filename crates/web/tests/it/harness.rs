//! Starts the platform on a fresh database and drives it like a browser would.

use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use store::Backend;
use store::testing::TestDatabase;

pub struct TestApp {
    pub base: String,
    pub backend: Backend,
    pub admin_password: String,
    _database: TestDatabase,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(
            backend,
            web::WebOptions {
                secure_cookies: false,
                two_step_for_secretariat: false,
                ..web::WebOptions::default()
            },
        )
        .await
    }

    /// Starts with the given options (the browser test keeps the production default
    /// of Secure cookies, which browsers accept from 127.0.0.1).
    pub async fn spawn_with(backend: Backend, options: web::WebOptions) -> TestApp {
        Self::spawn_prepared(backend, options, |_| async {}).await
    }

    /// Starts after `prepare` has changed the seeded database (the first admin
    /// already in it), before the platform reads anything of it.
    pub async fn spawn_prepared<F, Fut>(
        backend: Backend,
        options: web::WebOptions,
        prepare: F,
    ) -> TestApp
    where
        F: FnOnce(store::Store) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let database = TestDatabase::create(backend).await.expect("test database");
        let store = database.store().await.expect("store");
        let (_, admin_password) = store::accounts::ensure_first_admin(&store)
            .await
            .unwrap()
            .expect("first admin");
        prepare(store.clone()).await;
        let app = web::app(store, options).await.expect("app");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(web::serve(listener, app));
        TestApp {
            base,
            backend,
            admin_password,
            _database: database,
        }
    }

    /// Another connection to the app's database (to read what the app sent, or for a
    /// mail sender beside the app).
    pub async fn store(&self) -> store::Store {
        store::Store::connect(&self._database.url)
            .await
            .expect("store")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A browser-like client: its own cookie jar, redirects not followed so that
    /// tests see where they lead.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn text(&self, client: &Client, path: &str) -> String {
        let response = self.get(client, path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.unwrap()
    }

    /// The CSRF token of the client's session, read from a page's meta tag.
    pub async fn csrf(&self, client: &Client) -> String {
        let page = self.text(client, "/login").await;
        meta_csrf(&page)
    }

    /// Posts a form with the session's CSRF token added.
    pub async fn post_form(
        &self,
        client: &Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let token = self.csrf(client).await;
        let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        body.extend_from_slice(fields);
        client
            .post(self.url(path))
            .form(&body)
            .send()
            .await
            .unwrap()
    }

    /// Signs in; returns the client.
    pub async fn sign_in(&self, email: &str, password: &str) -> Client {
        let client = self.client();
        let response = self
            .post_form(
                &client,
                "/login",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login of {email}");
        client
    }

    /// Signs in with a one-time password and replaces it, as the first login demands.
    pub async fn sign_in_first_time(
        &self,
        email: &str,
        one_time: &str,
        new_password: &str,
    ) -> Client {
        let client = self.sign_in(email, one_time).await;
        let response = self
            .post_form(
                &client,
                "/account/password",
                &[
                    ("current_password", one_time),
                    ("new_password", new_password),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "password change of {email}"
        );
        client
    }

    pub async fn admin(&self) -> Client {
        self.sign_in_first_time(
            "admin@renkei.local",
            &self.admin_password,
            "council-secretariat-2026",
        )
        .await
    }

    /// Creates a staff account through the secretariat's page; returns its one-time password.
    pub async fn create_staff(&self, admin: &Client, email: &str, organisation: &str) -> String {
        let response = self
            .post_form(
                admin,
                "/admin/users",
                &[
                    ("email", email),
                    ("display_name", ""),
                    ("organisation", organisation),
                    ("role", "staff"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let page = response.text().await.unwrap();
        between(&page, "<p class=\"password\"><code>", "</code>")
            .expect("one-time password shown once")
    }

    pub async fn staff(&self, admin: &Client, email: &str, organisation: &str) -> Client {
        let one_time = self.create_staff(admin, email, organisation).await;
        self.sign_in_first_time(email, &one_time, "staff-password-2026")
            .await
    }

    /// The key of the first initiative of an organisation, through the API.
    pub async fn first_initiative_of(&self, organisation: &str) -> serde_json::Value {
        let list: Vec<serde_json::Value> = self
            .client()
            .get(self.url(&format!("/api/v1/initiatives?organisation={organisation}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list.into_iter().next().expect("an initiative")
    }
}

/// A company member's account, created by the secretariat, signed in with the
/// password "member-password-2026".
pub async fn company_member(app: &TestApp, admin: &Client, email: &str, company: &str) -> Client {
    let response = app
        .post_form(
            admin,
            "/admin/users",
            &[
                ("email", email),
                ("display_name", ""),
                ("organisation", ""),
                ("role", "company"),
                ("company", company),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    let one_time = between(&page, "<p class=\"password\"><code>", "</code>")
        .expect("one-time password shown once");
    app.sign_in_first_time(email, &one_time, "member-password-2026")
        .await
}

/// An individual who signed up on their own (`/signup/individual`, kept by `city`),
/// confirmed through the link of the mail in the outbox, signed in.
pub async fn individual(app: &TestApp, email: &str, city: &str) -> Client {
    let client = app.client();
    let password = "individual-password-2026";
    let response = app
        .post_form(
            &client,
            "/signup/individual",
            &[
                ("kind", "student"),
                ("city", city),
                ("name", "個人 利用者"),
                ("email", email),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "sign-up of {email}"
    );
    let store = app.store().await;
    let mail = store::outbox::all(&store)
        .await
        .unwrap()
        .into_iter()
        .rfind(|m| m.recipient_email == email)
        .expect("a confirmation mail");
    let token = store::signup::token_in(&mail.body_text).expect("a confirmation link");
    let confirmed = app
        .post_form(&client, &format!("/signup/confirm/{token}"), &[])
        .await;
    assert_eq!(
        confirmed.status(),
        StatusCode::OK,
        "confirmation of {email}"
    );
    app.sign_in(email, password).await
}

pub fn meta_csrf(page: &str) -> String {
    between(page, "<meta name=\"csrf-token\" content=\"", "\"").expect("csrf meta tag")
}

pub fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(text[from..to].to_owned())
}

/// Runs a scenario on every backend under test.
pub async fn on_each_backend<F, Fut>(scenario: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in store::testing::backends() {
        scenario(TestApp::spawn(backend).await).await;
    }
}
