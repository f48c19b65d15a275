//! A `tokio-postgres` TLS connector over rustls that checks the server as an
//! [`SslMode`] says, and hands SCRAM the `tls-server-end-point` channel binding
//! (RFC 5929 §4.1), so logins are `SCRAM-SHA-256-PLUS` when the server offers it (with
//! `channel_binding=require`, a man in the middle of an unverified connection can then
//! neither relay the login nor ask for the password in clear).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use sha2::Digest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

use crate::params::{RootCert, SslMode};

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// The root certificates could not be read.
    #[error("cannot use {source_name} as root certificates: {why}")]
    Roots {
        /// The file, or the system store.
        source_name: String,
        /// What was wrong.
        why: String,
    },
    /// rustls refused the configuration.
    #[error("TLS setup: {0}")]
    Rustls(String),
    /// An `sslmode` and `sslrootcert` that do not make a sound check together.
    #[error("{0}")]
    Combination(String),
}

/// The rustls client configuration for `mode` (`Disable` gives an unused one).
pub fn client_config(mode: SslMode, roots: &RootCert) -> Result<ClientConfig, TlsConfigError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Rustls(e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = if mode.verifies() {
        let webpki = WebPkiServerVerifier::builder_with_provider(
            Arc::new(load_roots(roots)?),
            provider.clone(),
        )
        .build()
        .map_err(|e| TlsConfigError::Rustls(e.to_string()))?;
        if mode == SslMode::VerifyFull {
            webpki
        } else {
            Arc::new(Relaxed {
                chain: Some(webpki),
                provider,
            })
        }
    } else {
        Arc::new(Relaxed {
            chain: None,
            provider,
        })
    };
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // PostgreSQL 17 checks the ALPN name when the client sends one; libpq 17 sends it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(config)
}

/// The trusted roots from a PEM file or the system store.
fn load_roots(roots: &RootCert) -> Result<RootCertStore, TlsConfigError> {
    let err = |why: String| TlsConfigError::Roots {
        source_name: roots.to_string(),
        why,
    };
    let mut store = RootCertStore::empty();
    match roots {
        RootCert::File(path) => {
            let pem = std::fs::read(path).map_err(|e| err(e.to_string()))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| err(format!("not PEM certificates ({e})")))?;
                store
                    .add(cert)
                    .map_err(|e| err(format!("a certificate rustls refuses ({e})")))?;
            }
        }
        RootCert::System => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
        }
    }
    if store.is_empty() {
        return Err(err("it holds no CA certificate".into()));
    }
    Ok(store)
}

/// The modes short of `verify-full`. `verify-ca` (`chain` set): the chain must reach a
/// trusted root, the name is not checked; webpki checks the chain before the name, so a
/// name error means the chain was good. `prefer` / `require` (no `chain`): libpq does
/// not check the certificate in these modes. Either way the handshake's signatures are
/// checked (the peer holds the key of the certificate it showed), which is what makes
/// channel binding meaningful.
#[derive(Debug)]
struct Relaxed {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Relaxed {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Makes one [`Connector`] per host `tokio-postgres` tries.
#[derive(Clone)]
pub struct MakeConnector {
    config: Arc<ClientConfig>,
}

impl MakeConnector {
    /// A connector with this configuration.
    pub fn new(config: ClientConfig) -> MakeConnector {
        MakeConnector {
            config: Arc::new(config),
        }
    }
}

impl<S> MakeTlsConnect<S> for MakeConnector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Stream<S>;
    type TlsConnect = Connector;
    type Error = std::convert::Infallible;

    /// tokio-postgres asks for a connector before it knows whether the server will
    /// talk TLS, with `""` for a Unix socket or a bare `hostaddr`; such a host gets a
    /// connector without a name, which only fails if a handshake is really attempted
    /// (a socket answers `prefer` with plain text).
    fn make_tls_connect(&mut self, host: &str) -> Result<Connector, Self::Error> {
        Ok(Connector {
            config: self.config.clone(),
            name: ServerName::try_from(host.to_string()).ok(),
        })
    }
}

/// The TLS handshake with one host.
pub struct Connector {
    config: Arc<ClientConfig>,
    name: Option<ServerName<'static>>,
}

impl<S> TlsConnect<S> for Connector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Stream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Stream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let name = self.name.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "TLS needs a host name to check the certificate against: give `host` (with `hostaddr` if the address must be fixed)",
                )
            })?;
            let tls = tokio_rustls::TlsConnector::from(self.config)
                .connect(name, stream)
                .await?;
            Ok(Stream(tls))
        })
    }
}

/// A TLS connection to the server.
pub struct Stream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Stream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Stream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for Stream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        let (_, session) = self.0.get_ref();
        match session
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|c| server_end_point(c))
        {
            Some(hash) => ChannelBinding::tls_server_end_point(hash),
            None => ChannelBinding::none(),
        }
    }
}

/// RFC 5929 §4.1 `tls-server-end-point`: the certificate hashed with its signature's
/// hash function, SHA-256 when that is MD5 or SHA-1 (RSA-PSS: the hash named in its
/// parameters). `None` when the signature has no such hash (Ed25519, Ed448) or the
/// certificate cannot be read; PostgreSQL cannot bind those either, so SCRAM then runs
/// without `-PLUS` (and `channel_binding=require` fails, as it should).
pub fn server_end_point(cert: &[u8]) -> Option<Vec<u8>> {
    Some(match signature_hash(cert)? {
        Hash::Sha224 => sha2::Sha224::digest(cert).to_vec(),
        Hash::Sha256 => sha2::Sha256::digest(cert).to_vec(),
        Hash::Sha384 => sha2::Sha384::digest(cert).to_vec(),
        Hash::Sha512 => sha2::Sha512::digest(cert).to_vec(),
    })
}

/// The hash functions channel binding uses.
enum Hash {
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// RSA PKCS#1 v1.5 prefix 1.2.840.113549.1.1 and ECDSA prefix 1.2.840.10045.4.
const RSA: &[u8] = b"\x2a\x86\x48\x86\xf7\x0d\x01\x01";
const ECDSA: &[u8] = b"\x2a\x86\x48\xce\x3d\x04";
/// NIST hash functions 2.16.840.1.101.3.4.2 and SHA-1 1.3.14.3.2.26.
const NIST_HASH: &[u8] = b"\x60\x86\x48\x01\x65\x03\x04\x02";
const SHA1: &[u8] = b"\x2b\x0e\x03\x02\x1a";

/// The hash for channel binding of `Certificate.signatureAlgorithm`:
/// `SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE { OID, params }, … }`.
fn signature_hash(cert: &[u8]) -> Option<Hash> {
    let (tag, certificate, _) = der(cert)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, _, after_tbs) = der(certificate)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, algorithm, _) = der(after_tbs)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, oid, params) = der(algorithm)?;
    if tag != 0x06 {
        return None;
    }
    if let Some(arc) = oid.strip_prefix(RSA) {
        return match arc {
            // md5, sha1, sha256 WithRSAEncryption: SHA-256.
            [0x04] | [0x05] | [0x0b] => Some(Hash::Sha256),
            [0x0c] => Some(Hash::Sha384),
            [0x0d] => Some(Hash::Sha512),
            [0x0e] => Some(Hash::Sha224),
            // RSASSA-PSS: the hash is in the parameters.
            [0x0a] => pss_hash(params),
            _ => None,
        };
    }
    match oid.strip_prefix(ECDSA)? {
        // ecdsa-with-SHA1 (4.1): SHA-256; ecdsa-with-SHA224/256/384/512 (4.3.1-4).
        [0x01] | [0x03, 0x02] => Some(Hash::Sha256),
        [0x03, 0x01] => Some(Hash::Sha224),
        [0x03, 0x03] => Some(Hash::Sha384),
        [0x03, 0x04] => Some(Hash::Sha512),
        _ => None,
    }
}

/// `RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] EXPLICIT AlgorithmIdentifier
/// DEFAULT sha1, … }` (RFC 4055): the hash it names, SHA-256 for SHA-1 or the default.
fn pss_hash(params: &[u8]) -> Option<Hash> {
    let (tag, fields, _) = der(params)?;
    if tag != 0x30 {
        return None;
    }
    let Some((0xa0, explicit, _)) = der(fields) else {
        return Some(Hash::Sha256);
    };
    let (tag, identifier, _) = der(explicit)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, oid, _) = der(identifier)?;
    if tag != 0x06 {
        return None;
    }
    if oid == SHA1 {
        return Some(Hash::Sha256);
    }
    match oid.strip_prefix(NIST_HASH)? {
        [0x01] => Some(Hash::Sha256),
        [0x02] => Some(Hash::Sha384),
        [0x03] => Some(Hash::Sha512),
        [0x04] => Some(Hash::Sha224),
        _ => None,
    }
}

/// One DER element: (tag, contents, what follows). Single-byte tags and definite
/// lengths only, which is all a certificate's outer structure uses.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate's outer structure with the given signature algorithm OID.
    fn cert_with(oid: &[u8]) -> Vec<u8> {
        let tbs = [0x30, 0x03, 0x02, 0x01, 0x05];
        let mut alg = vec![0x30, (oid.len() + 4) as u8, 0x06, oid.len() as u8];
        alg.extend_from_slice(oid);
        alg.extend_from_slice(&[0x05, 0x00]);
        let sig = [0x03, 0x02, 0x00, 0xff];
        let body: Vec<u8> = [&tbs[..], &alg, &sig].concat();
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    }

    #[test]
    fn the_hash_follows_the_signature_algorithm() {
        let sha256_rsa = cert_with(b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b");
        assert_eq!(
            server_end_point(&sha256_rsa),
            Some(sha2::Sha256::digest(&sha256_rsa).to_vec())
        );
        let sha1_rsa = cert_with(b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05");
        assert_eq!(
            server_end_point(&sha1_rsa).map(|h| h.len()),
            Some(32),
            "SHA-1 is replaced by SHA-256"
        );
        let ecdsa384 = cert_with(b"\x2a\x86\x48\xce\x3d\x04\x03\x03");
        assert_eq!(
            server_end_point(&ecdsa384),
            Some(sha2::Sha384::digest(&ecdsa384).to_vec())
        );
        let ecdsa512 = cert_with(b"\x2a\x86\x48\xce\x3d\x04\x03\x04");
        assert_eq!(server_end_point(&ecdsa512).map(|h| h.len()), Some(64));
        let ed25519 = cert_with(b"\x2b\x65\x70");
        assert_eq!(server_end_point(&ed25519), None);
        let sha224_rsa = cert_with(b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0e");
        assert_eq!(server_end_point(&sha224_rsa).map(|h| h.len()), Some(28));
    }

    /// An RSASSA-PSS certificate whose parameters name `hash` (DER of the OID), or none.
    fn pss_cert(hash: Option<&[u8]>) -> Vec<u8> {
        let mut params = Vec::new();
        if let Some(h) = hash {
            let ident = [&[0x30, (h.len() + 2) as u8, 0x06, h.len() as u8][..], h].concat();
            params = [&[0xa0, ident.len() as u8][..], &ident].concat();
        }
        let params = [&[0x30, params.len() as u8][..], &params].concat();
        let oid = b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a";
        let alg_body = [&[0x06, oid.len() as u8][..], oid, &params].concat();
        let alg = [&[0x30, alg_body.len() as u8][..], &alg_body].concat();
        let tbs = [0x30, 0x03, 0x02, 0x01, 0x05];
        let body = [&tbs[..], &alg, &[0x03, 0x02, 0x00, 0xff]].concat();
        [&[0x30, body.len() as u8][..], &body].concat()
    }

    #[test]
    fn rsa_pss_takes_the_hash_from_its_parameters() {
        let sha384 = pss_cert(Some(b"\x60\x86\x48\x01\x65\x03\x04\x02\x02"));
        assert_eq!(
            server_end_point(&sha384),
            Some(sha2::Sha384::digest(&sha384).to_vec())
        );
        let default = pss_cert(None);
        assert_eq!(
            server_end_point(&default),
            Some(sha2::Sha256::digest(&default).to_vec()),
            "the default, SHA-1, becomes SHA-256"
        );
        let unknown = pss_cert(Some(b"\x2a\x03"));
        assert_eq!(server_end_point(&unknown), None);
    }

    #[test]
    fn malformed_certificates_give_no_binding() {
        let good = cert_with(b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b");
        for cut in 0..good.len() {
            assert_eq!(server_end_point(&good[..cut]), None, "cut at {cut}");
        }
        assert_eq!(
            server_end_point(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        assert_eq!(server_end_point(b"not der"), None);
    }
}
