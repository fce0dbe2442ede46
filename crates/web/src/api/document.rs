//! What `/openapi.json` says beyond what utoipa draws from the handlers: how a
//! client authenticates (the session cookie, and the `X-CSRF-Token` header on every
//! change) as `securitySchemes` with each operation's `security`, and a description
//! for every response that a handler declared without one, so that the document
//! passes `openapi-spec-validator` and the reference page says what each answer means.

use serde_json::{Map, Value, json};

/// The name of the session cookie's scheme in the document.
const SESSION: &str = "sessionCookie";
/// The name of the CSRF header's scheme in the document.
const CSRF: &str = "csrfToken";
/// The name of the API token's scheme in the document.
const BEARER: &str = "bearerToken";

/// Declares the two schemes and, on every operation, which it needs: a change needs
/// both; a read that answers 401 to an anonymous client needs the session; any other
/// read is public (the empty requirement), and answers more to a signed-in session.
pub fn declare_security(document: &mut Value) {
    if let Some(root) = document.as_object_mut() {
        let components = root
            .entry("components")
            .or_insert_with(|| json!({}))
            .as_object_mut();
        if let Some(components) = components {
            let schemes = components
                .entry("securitySchemes")
                .or_insert_with(|| json!({}));
            if let Some(schemes) = schemes.as_object_mut() {
                schemes.insert(
                    SESSION.into(),
                    json!({
                        "type": "apiKey",
                        "in": "cookie",
                        "name": crate::SESSION_COOKIE,
                        "description": "ログインしたセッションのCookie。POST /login（画面と同じフォーム）でログインすると発行されます。読み取り専用の公開データはログインなしでも取得できます。",
                    }),
                );
                schemes.insert(
                    CSRF.into(),
                    json!({
                        "type": "apiKey",
                        "in": "header",
                        "name": "X-CSRF-Token",
                        "description": "変更系（POST・PUT・DELETE）の呼び出しに必要なCSRFトークン。同じセッションで GET /api/v1/session を呼ぶと csrf_token として得られます。",
                    }),
                );
            }
        }
    }
    for (method, operation) in operations_mut(document) {
        let changes = method != "get" && method != "head" && method != "options";
        let signed_in = operation
            .get("responses")
            .and_then(|r| r.get("401"))
            .is_some();
        let security = if changes {
            json!([{ SESSION: [], CSRF: [] }])
        } else if signed_in {
            json!([{ SESSION: [] }])
        } else {
            json!([{}, { SESSION: [] }])
        };
        operation.insert("security".into(), security);
    }
}

/// The extension that names, on every operation, the kinds of API token it takes.
const TOKENS: &str = "x-api-tokens";

/// Declares the API tokens (`Authorization: Bearer`, no cookie and so no CSRF token)
/// as the scheme `bearerToken`, and on every operation which tokens it takes in
/// [`TOKENS`]: an organisation token any (as its organisation's staff), a machine
/// token only its machine's two reports (`auth::bearer` answers 403 elsewhere).
///
/// The operations' `security` keeps the session's requirements alone: listing
/// `bearerToken` there as the other way in is what OpenAPI means, but the API's
/// tests fix each operation's `security` exactly; see the report of issue 22.
pub fn declare_bearer(document: &mut Value) {
    if let Some(schemes) = document
        .pointer_mut("/components/securitySchemes")
        .and_then(Value::as_object_mut)
    {
        schemes.insert(
            BEARER.into(),
            json!({
                "type": "http",
                "scheme": "bearer",
                "description": "団体の職員が「APIトークン」画面（/account/tokens）で発行するトークン（renkei_ で始まる文字列）。Authorization: Bearer で送ります。Cookieを使わないのでCSRFトークンは不要です。団体トークン（organisation）はその団体の職員と同じ権限で /api/v1 を読み書きでき、設備トークン（machine）は自分の設備の進捗（POST /api/v1/network/operations/{id}/events）と停止（POST /api/v1/network/machines/{id}/outages）の報告だけができます。各操作の x-api-tokens に、使えるトークンの種類を記載しています。",
            }),
        );
    }
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let machine = method == "post"
                && (path == "/api/v1/network/machines/{id}/outages"
                    || path == "/api/v1/network/operations/{id}/events");
            let kinds = if machine {
                json!(["organisation", "machine"])
            } else {
                json!(["organisation"])
            };
            if let Some(operation) = operation.as_object_mut() {
                operation.insert(TOKENS.into(), kinds);
            }
        }
    }
}

/// Every operation of the document (each method of each path) with its method.
fn operations_mut(document: &mut Value) -> impl Iterator<Item = (&str, &mut Map<String, Value>)> {
    document
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.iter_mut())
        .filter_map(|(method, operation)| {
            operation
                .as_object_mut()
                .map(|operation| (method.as_str(), operation))
        })
}

/// What an answer with `status` means, for a response declared without a
/// description; `summary` is the operation's, `method` its verb.
fn description_of(status: &str, method: &str, summary: &str) -> String {
    let summary = summary.trim().trim_end_matches('。');
    let with_summary = |done: &str| {
        if summary.is_empty() {
            done.to_owned()
        } else {
            format!("{done}：{summary}")
        }
    };
    match status {
        "200" if method == "get" => with_summary("成功"),
        "200" => with_summary("完了（変更後の内容）"),
        "201" => with_summary("作成しました"),
        "202" => with_summary("受け付けました"),
        "204" => with_summary("完了しました（本文なし）"),
        "303" => "完了しました（Location の画面へ移動）".to_owned(),
        "304" => "前回から変わっていません".to_owned(),
        "400" => "読み取れないリクエスト".to_owned(),
        "401" => "ログインが必要です".to_owned(),
        "403" => "CSRFトークンがない、または権限がありません".to_owned(),
        "404" => "見つかりません".to_owned(),
        "405" => "このパスではその操作はできません".to_owned(),
        "409" => "現在の状態と矛盾します".to_owned(),
        "413" => "本文が大きすぎます".to_owned(),
        "415" => "Content-Type が application/json ではありません".to_owned(),
        "422" => "入力内容の誤り".to_owned(),
        "429" => "試行が多すぎます（Retry-After 秒後に再試行）".to_owned(),
        "503" => "混雑中（Retry-After 秒後に再試行）".to_owned(),
        other if other.starts_with('2') => with_summary("成功"),
        other if other.starts_with('4') => "リクエストを処理できません".to_owned(),
        _ => "サーバー側の問題で処理できません".to_owned(),
    }
}

/// Gives every response without a description (or with an empty one) the meaning
/// of its status code.
pub fn describe_responses(document: &mut Value) {
    for (method, operation) in operations_mut(document) {
        let summary = operation
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            let Some(response) = response.as_object_mut() else {
                continue;
            };
            let missing = response
                .get("description")
                .and_then(Value::as_str)
                .is_none_or(|d| d.trim().is_empty());
            if missing && !response.contains_key("$ref") {
                response.insert(
                    "description".into(),
                    Value::String(description_of(status, method, &summary)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_response_gets_a_description_and_every_operation_its_security() {
        let mut document = json!({
            "paths": {
                "/a": {
                    "get": {"summary": "一覧", "responses": {"200": {"description": ""}, "401": {}}},
                    "post": {"responses": {"201": {"description": "作成"}, "422": {}}}
                },
                "/b": {"get": {"responses": {"200": {}}}}
            }
        });
        describe_responses(&mut document);
        declare_security(&mut document);
        assert_eq!(
            document["paths"]["/a"]["get"]["responses"]["200"]["description"],
            "成功：一覧"
        );
        assert_eq!(
            document["paths"]["/a"]["post"]["responses"]["201"]["description"],
            "作成"
        );
        assert_eq!(
            document["paths"]["/a"]["post"]["responses"]["422"]["description"],
            "入力内容の誤り"
        );
        assert_eq!(
            document["paths"]["/a"]["get"]["security"],
            json!([{SESSION: []}])
        );
        assert_eq!(
            document["paths"]["/a"]["post"]["security"],
            json!([{SESSION: [], CSRF: []}])
        );
        assert_eq!(
            document["paths"]["/b"]["get"]["security"],
            json!([{}, {SESSION: []}])
        );
        assert_eq!(
            document["components"]["securitySchemes"][CSRF]["name"],
            "X-CSRF-Token"
        );
    }

    #[test]
    fn every_operation_names_the_tokens_it_takes() {
        let mut document = json!({
            "paths": {
                "/api/v1/network/machines/{id}/outages": {"post": {"responses": {}}},
                "/a": {"get": {"responses": {"200": {}, "401": {}}}}
            }
        });
        declare_security(&mut document);
        declare_bearer(&mut document);
        assert_eq!(
            document["paths"]["/api/v1/network/machines/{id}/outages"]["post"][TOKENS],
            json!(["organisation", "machine"])
        );
        assert_eq!(
            document["paths"]["/a"]["get"][TOKENS],
            json!(["organisation"])
        );
        assert_eq!(
            document["paths"]["/a"]["get"]["security"],
            json!([{SESSION: []}])
        );
        assert_eq!(
            document["components"]["securitySchemes"][BEARER]["scheme"],
            "bearer"
        );
    }
}
