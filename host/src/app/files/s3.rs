//! Files in an S3-compatible bucket, through `object_store`'s S3 client.
//!
//! `object_store` brings its own HTTP client (reqwest 0.13 with the aws-lc crypto library);
//! the host already has one (reqwest 0.12 with rustls on ring) for webhooks and plugins'
//! outbound calls, so the S3 client is handed that one through an [`HttpConnector`] and
//! signs with ring: one TLS stack, one HTTP client in the binary.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use http_body_util::BodyExt;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    HttpResponseBody, HttpService,
};
use object_store::{ClientOptions, RetryConfig};

use crate::config::S3Config;

/// Opens the bucket the configuration names and checks it can be reached, so a wrong
/// endpoint, bucket or key stops the server at start instead of failing the first upload.
pub async fn open(config: &S3Config) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&config.bucket)
        .with_virtual_hosted_style_request(config.virtual_hosted_style)
        .with_http_connector(Reqwest012)
        .with_retry(RetryConfig {
            max_retries: 3,
            retry_timeout: Duration::from_secs(30),
            ..RetryConfig::default()
        });
    if let Some(endpoint) = &config.endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(region) = &config.region {
        builder = builder.with_region(region);
    }
    if let Some(key) = &config.access_key_id {
        builder = builder.with_access_key_id(key);
    }
    if let Some(secret) = &config.secret_access_key {
        builder = builder.with_secret_access_key(secret);
    }
    let store: Arc<dyn ObjectStore> = Arc::new(builder.build().context("configuring S3")?);
    // Listing one key is the cheapest request that proves the endpoint, the bucket and
    // the credentials together.
    use futures_util::StreamExt;
    let mut probe = store.list_with_offset(None, &object_store::path::Path::from("~"));
    if let Some(Err(e)) = probe.next().await {
        return Err(e).with_context(|| format!("reaching the S3 bucket `{}`", config.bucket));
    }
    Ok(store)
}

/// Connects `object_store`'s S3 client to the host's reqwest.
#[derive(Debug)]
struct Reqwest012;

impl HttpConnector for Reqwest012 {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // A stalled transfer fails (and is retried) instead of holding an upload.
            .read_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| object_store::Error::Generic {
                store: "S3",
                source: Box::new(e),
            })?;
        Ok(HttpClient::new(Service(client)))
    }
}

#[derive(Debug)]
struct Service(reqwest::Client);

#[async_trait::async_trait]
impl HttpService for Service {
    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let url = reqwest::Url::parse(&parts.uri.to_string())
            .map_err(|e| HttpError::new(HttpErrorKind::Request, e))?;
        let mut outgoing = reqwest::Request::new(parts.method, url);
        *outgoing.headers_mut() = parts.headers;
        *outgoing.body_mut() = Some(reqwest::Body::wrap(body));
        let response = self.0.execute(outgoing).await.map_err(classify)?;
        let response: http::Response<reqwest::Body> = response.into();
        let (parts, body) = response.into_parts();
        Ok(HttpResponse::from_parts(
            parts,
            HttpResponseBody::new(body.map_err(classify)),
        ))
    }
}

/// Sorts a transport failure the way `object_store`'s retry logic expects: timeouts and
/// connection failures are retried, the rest reported.
fn classify(e: reqwest::Error) -> HttpError {
    let kind = if e.is_timeout() {
        HttpErrorKind::Timeout
    } else if e.is_connect() {
        HttpErrorKind::Connect
    } else if e.is_decode() {
        HttpErrorKind::Decode
    } else if e.is_body() || e.is_request() {
        HttpErrorKind::Interrupted
    } else {
        HttpErrorKind::Unknown
    };
    HttpError::new(kind, e.without_url())
}
