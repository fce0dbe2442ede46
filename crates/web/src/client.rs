//! Who is on the other end of a request: the client's address (for the login limit,
//! the reset-request limit and the request log) and whether it reached the platform
//! over https, as seen through the proxies the operator trusts
//! (`renkei serve --trusted-proxy CIDR`).
//!
//! `X-Forwarded-For` and `X-Forwarded-Proto` are believed only when the TCP peer is a
//! trusted proxy; from anyone else they are removed before a handler sees them, so a
//! client cannot choose the address its failed sign-ins count against, nor make the
//! platform write `https://` links for it. Behind a chain of trusted proxies the
//! client is the right-most address of `X-Forwarded-For` that is not itself a
//! trusted proxy: every entry to its right was written by a proxy we trust, every
//! entry to its left by someone we do not.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>);

impl TrustedProxies {
    /// No proxy is trusted: the TCP peer is the client.
    pub fn none() -> TrustedProxies {
        TrustedProxies::default()
    }

    /// Reads CIDR ranges (`10.0.0.0/8`, `127.0.0.1/32`, `::1/128`) or single
    /// addresses (`127.0.0.1`), each entry possibly a comma-separated list as an
    /// environment variable carries it. The error names the entry not understood.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for entry in entries {
            for item in entry.as_ref().split(',').map(str::trim) {
                if item.is_empty() {
                    continue;
                }
                let net = item
                    .parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "信頼するプロキシ「{item}」を読み取れません。10.0.0.0/8 や 127.0.0.1 のように CIDR かアドレスで指定してください。"
                        )
                    })?;
                nets.push(net.trunc());
            }
        }
        Ok(TrustedProxies(Arc::new(nets)))
    }

    /// Whether `address` is one of the trusted proxies.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The client of a request as decided by [`identify_client`]; `None` only in tests
/// that call the router without a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// The address as text for the limits' tables and the logs (empty when unknown).
    pub fn text(&self) -> String {
        self.0.map(|ip| ip.to_string()).unwrap_or_default()
    }
}

impl std::fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => write!(f, "{ip}"),
            None => f.write_str("-"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientAddress>()
            .copied()
            // Outside `identify_client` (a router built without it) nobody is trusted.
            .unwrap_or_else(|| ClientAddress(peer(&parts.extensions))))
    }
}

fn peer(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_canonical())
}

/// The client behind `peer`: the peer itself unless it is a trusted proxy; then the
/// right-most address of `X-Forwarded-For` (all its headers, in order) that is not a
/// trusted proxy. When every listed address is trusted, the left-most one; when an
/// entry cannot be read, the nearest address before it (what a trusted proxy wrote),
/// never the unreadable text.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let mut client = peer?.to_canonical();
    if !trusted.contains(client) {
        return Some(client);
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    for entry in forwarded.iter().rev() {
        let Some(address) = forwarded_address(entry) else {
            break;
        };
        client = address;
        if !trusted.contains(address) {
            break;
        }
    }
    Some(client)
}

/// One entry of `X-Forwarded-For`: an address, or an address with a port as some
/// proxies write it (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

/// Decides the request's [`ClientAddress`] once, for every layer and handler after
/// it, and cleans the forwarding headers: from a peer that is not a trusted proxy
/// `X-Forwarded-For` and `X-Forwarded-Proto` are removed; from a trusted one
/// `X-Forwarded-Proto` is reduced to `https` or `http` (what the nearest proxy said),
/// so that code reading the scheme (`pages::feeds::host_origin`) can believe it. The
/// address is also what the audit log records for the changes the request makes
/// (`store::audit::with_client_address`).
pub async fn identify_client(
    State(trusted): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = peer(request.extensions());
    let client = client_address(peer, request.headers(), &trusted);
    let headers = request.headers_mut();
    if peer.is_some_and(|ip| trusted.contains(ip)) {
        let https = headers
            .get_all("x-forwarded-proto")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .next_back()
            .map(|proto| proto.eq_ignore_ascii_case("https"));
        if let Some(https) = https {
            headers.insert(
                "x-forwarded-proto",
                HeaderValue::from_static(if https { "https" } else { "http" }),
            );
        }
    } else {
        headers.remove("x-forwarded-for");
        headers.remove("x-forwarded-proto");
    }
    request.extensions_mut().insert(ClientAddress(client));
    // Every audit entry written while serving the request names this address.
    store::audit::with_client_address(client.map(|ip| ip.to_string()), next.run(request)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn a_forged_header_from_an_untrusted_peer_is_ignored() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        let headers = forwarded(&["198.51.100.7"]);
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), &headers, &trusted),
            Some(ip("203.0.113.9"))
        );
        let nobody = TrustedProxies::none();
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), &headers, &nobody),
            Some(ip("10.0.0.2"))
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_right_most_untrusted_address() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8, 127.0.0.1"]).unwrap();
        // The client forged the first entry; our proxies appended the rest.
        let headers = forwarded(&["1.2.3.4, 203.0.113.9", "10.1.1.1"]);
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), &headers, &trusted),
            Some(ip("203.0.113.9"))
        );
        // Only proxies listed: the farthest of them.
        let headers = forwarded(&["10.2.2.2, 10.1.1.1"]);
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), &headers, &trusted),
            Some(ip("10.2.2.2"))
        );
        // No header at all: the proxy itself.
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), &HeaderMap::new(), &trusted),
            Some(ip("127.0.0.1"))
        );
    }

    #[test]
    fn unreadable_entries_and_ports_and_mapped_addresses() {
        let trusted = TrustedProxies::parse(&["::1/128", "10.0.0.1"]).unwrap();
        let headers = forwarded(&["203.0.113.9, nonsense, 10.0.0.1"]);
        assert_eq!(
            client_address(Some(ip("::1")), &headers, &trusted),
            Some(ip("10.0.0.1"))
        );
        let headers = forwarded(&["[2001:db8::5]:4711"]);
        assert_eq!(
            client_address(Some(ip("::1")), &headers, &trusted),
            Some(ip("2001:db8::5"))
        );
        // An IPv4 peer on a dual-stack socket is the IPv4 address.
        assert!(trusted.contains(ip("::ffff:10.0.0.1")));
        assert_eq!(client_address(None, &headers, &trusted), None);
    }

    #[test]
    fn proxies_are_read_as_cidr_or_addresses_and_nonsense_is_named() {
        let trusted = TrustedProxies::parse(&["192.168.0.0/16", " ", "fd00::/8"]).unwrap();
        assert!(trusted.contains(ip("192.168.3.4")));
        assert!(trusted.contains(ip("fd12::1")));
        assert!(!trusted.contains(ip("192.169.0.1")));
        let error = TrustedProxies::parse(&["10.0.0.0/33"]).unwrap_err();
        assert!(error.contains("10.0.0.0/33"), "{error}");
        assert!(TrustedProxies::parse(&["proxy.local"]).is_err());
    }
}
