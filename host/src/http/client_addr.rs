//! The client's address behind trusted reverse proxies.
//!
//! Everything that cares who is calling — sign-in throttling per address, the audit
//! trail, `/metrics` for this machine only — reads axum's `ConnectInfo`. When the TCP
//! peer is a configured trusted proxy, this layer rewrites that `ConnectInfo` to the
//! client the proxy saw, so no caller needs to know proxies exist. Without trusted
//! proxies `X-Forwarded-For` is ignored: anyone can send it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::App;
use crate::config::ProxyNet;

pub(crate) async fn resolve(State(app): State<App>, mut request: Request, next: Next) -> Response {
    let trusted = &app.config.trusted_proxies;
    if !trusted.is_empty()
        && let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
    {
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let client = client_ip(peer.ip(), forwarded, trusted);
        let port = peer.port();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(client, port)));
    }
    next.run(request).await
}

/// Walks `X-Forwarded-For` from the right (the hop nearest to us) while the hop is a
/// trusted proxy; the first address that is not one is the client. Entries left of it
/// were written by the client itself and prove nothing. A malformed entry ends the walk
/// at the last trusted hop, which is then taken as the client.
pub(crate) fn client_ip<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &[ProxyNet],
) -> IpAddr {
    if !ProxyNet::contains(trusted, peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !ProxyNet::contains(trusted, client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<ProxyNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = nets(&["10.0.0.1"]);
        let got = client_ip(ip("198.51.100.4"), ["203.0.113.9"].into_iter(), &trusted);
        assert_eq!(got, ip("198.51.100.4"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The client forged the first entry; the proxy appended what it saw.
        let got = client_ip(
            ip("10.0.0.1"),
            ["203.0.113.9, 198.51.100.4"].into_iter(),
            &trusted,
        );
        assert_eq!(got, ip("198.51.100.4"));
        // Two proxies in a chain, several header lines.
        let got = client_ip(
            ip("10.0.0.1"),
            ["203.0.113.9", "198.51.100.4, 10.0.0.2"].into_iter(),
            &trusted,
        );
        assert_eq!(got, ip("198.51.100.4"));
    }

    #[test]
    fn no_header_or_garbage_leaves_the_proxy_as_the_client() {
        let trusted = nets(&["10.0.0.1"]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), std::iter::empty(), &trusted),
            ip("10.0.0.1")
        );
        let got = client_ip(
            ip("10.0.0.1"),
            ["198.51.100.4, not-an-address"].into_iter(),
            &trusted,
        );
        assert_eq!(got, ip("10.0.0.1"));
    }
}
