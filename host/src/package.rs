//! The plugin package file (`.cyplugin`) and its publisher signature.
//!
//! A package is one ZIP file holding a plugin and what an admin sees before installing it:
//!
//! | entry | |
//! |---|---|
//! | `courtyard.toml` | the manifest (required) |
//! | `plugin.wasm` | the component (required) |
//! | `description.en.md`, `description.zh-CN.md` | what it does, shown before installing (required) |
//! | `icon.png` | optional, at most 256 KiB |
//! | `screenshots/1.png` … | optional, at most 8, 2 MiB each |
//! | `signature.json` | the publisher's signature (optional: unsigned packages install only when an admin allows it) |
//!
//! The signature is ed25519 over a statement that names every other entry with its
//! SHA-256, one line each in name order, so no entry can be added, removed or changed
//! without breaking it. Whether a key is *trusted* is the deployment's decision
//! (`trusted_publishers`), not the package's: a valid signature by an unknown key is
//! "untrusted", and a signature that does not verify refuses the package outright.
//!
//! Reading is defensive: the archive is untrusted input, so names, counts and sizes are
//! checked before anything is decompressed, and decompression stops at the limits.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use base64::Engine as _;
use ed25519_dalek::Signer as _;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANIFEST: &str = "courtyard.toml";
pub const COMPONENT: &str = "plugin.wasm";
pub const ICON: &str = "icon.png";
pub const SIGNATURE: &str = "signature.json";
pub const DESCRIPTIONS: [(&str, &str); 2] = [
    ("en", "description.en.md"),
    ("zh-CN", "description.zh-CN.md"),
];

/// The largest component accepted.
pub const MAX_COMPONENT_BYTES: u64 = 32 << 20;
pub const MAX_ICON_BYTES: u64 = 256 << 10;
pub const MAX_SCREENSHOT_BYTES: u64 = 2 << 20;
pub const MAX_SCREENSHOTS: usize = 8;
pub const MAX_TEXT_BYTES: u64 = 64 << 10;
/// The largest package file: a full component plus every optional part.
pub const MAX_PACKAGE_BYTES: usize = 56 << 20;

const STATEMENT_HEADER: &str = "courtyard-package-signature/1\n";
/// The longest publisher name a signature may carry.
pub const MAX_PUBLISHER_CHARS: usize = 100;
const SIGNATURE_FORMAT: &str = "courtyard-signature/1";
const KEY_PREFIX: &str = "ed25519:";
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PackageError {
    #[error("not a plugin package (a ZIP file): {0}")]
    NotAnArchive(String),
    #[error("the package has no {0}")]
    Missing(&'static str),
    #[error("the package holds `{0}`, which a package may not contain")]
    Unexpected(String),
    #[error("`{0}` appears twice in the package")]
    Duplicate(String),
    #[error("`{name}` is larger than {limit} bytes")]
    TooLarge { name: String, limit: u64 },
    #[error("`{0}` is not a PNG image")]
    NotPng(String),
    #[error("`{0}` is not UTF-8 text")]
    NotText(String),
    #[error("signature.json is malformed: {0}")]
    BadSignatureFile(String),
    #[error(
        "the signature does not match the package: it was changed after signing, or signed with another key"
    )]
    BadSignature,
    #[error("a publisher key is `ed25519:` followed by 32 bytes in base64: {0}")]
    BadKey(String),
    #[error(
        "a publisher name is 1 to {MAX_PUBLISHER_CHARS} characters, without control or direction-changing characters or surrounding spaces"
    )]
    BadPublisher,
}

/// A package's parts, read and checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Package {
    pub manifest: String,
    pub component: Vec<u8>,
    /// Locale (`en`, `zh-CN`) → text.
    pub descriptions: BTreeMap<String, String>,
    pub icon: Option<Vec<u8>>,
    pub screenshots: Vec<Vec<u8>>,
    pub signature: Option<SignatureFile>,
}

/// `signature.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    pub format: String,
    /// The name the publisher signs as (shown as claimed until its key is trusted).
    pub publisher: String,
    /// `ed25519:` + the public key, base64.
    pub key: String,
    /// The signature over the statement, base64.
    pub signature: String,
}

/// What the signature says about who made a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signer {
    Unsigned,
    /// A valid signature by `key`, claiming to be `publisher`.
    Signed {
        publisher: String,
        key: String,
    },
}

impl Package {
    /// Reads a package file. Checks shape and limits, and the signature if there is one
    /// (a signature that does not verify is an error); whether its key is trusted is for
    /// the caller to decide.
    pub fn read(bytes: &[u8]) -> Result<(Package, Signer), PackageError> {
        if bytes.len() > MAX_PACKAGE_BYTES {
            return Err(PackageError::TooLarge {
                name: "the package".into(),
                limit: MAX_PACKAGE_BYTES as u64,
            });
        }
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| PackageError::NotAnArchive(e.to_string()))?;
        if archive.len() > 4 + DESCRIPTIONS.len() + MAX_SCREENSHOTS {
            return Err(PackageError::Unexpected(format!(
                "{} entries",
                archive.len()
            )));
        }
        let mut package = Package::default();
        let mut seen = std::collections::BTreeSet::new();
        let mut screenshots = BTreeMap::new();
        for i in 0..archive.len() {
            let mut entry = archive
                .by_index(i)
                .map_err(|e| PackageError::NotAnArchive(e.to_string()))?;
            let name = entry
                .name()
                .map_err(|e| PackageError::NotAnArchive(e.to_string()))?
                .into_owned();
            if entry.is_dir() {
                if name == "screenshots/" {
                    continue;
                }
                return Err(PackageError::Unexpected(name));
            }
            if !seen.insert(name.clone()) {
                return Err(PackageError::Duplicate(name));
            }
            let limit = limit_of(&name).ok_or_else(|| PackageError::Unexpected(name.clone()))?;
            // The declared size is the archive's claim; `take` holds whatever it says.
            if entry.size() > limit {
                return Err(PackageError::TooLarge { name, limit });
            }
            let mut data = Vec::new();
            (&mut entry)
                .take(limit + 1)
                .read_to_end(&mut data)
                .map_err(|e| PackageError::NotAnArchive(e.to_string()))?;
            if data.len() as u64 > limit {
                return Err(PackageError::TooLarge { name, limit });
            }
            match name.as_str() {
                MANIFEST => package.manifest = text(&name, data)?,
                COMPONENT => package.component = data,
                ICON => package.icon = Some(png(&name, data)?),
                SIGNATURE => {
                    package.signature = Some(
                        serde_json::from_slice(&data)
                            .map_err(|e| PackageError::BadSignatureFile(e.to_string()))?,
                    )
                }
                other => {
                    if let Some((locale, _)) = DESCRIPTIONS.iter().find(|(_, f)| *f == other) {
                        package
                            .descriptions
                            .insert((*locale).to_owned(), text(&name, data)?);
                    } else {
                        let n = screenshot_number(other).expect("limit_of accepted it");
                        screenshots.insert(n, png(&name, data)?);
                    }
                }
            }
        }
        if !seen.contains(MANIFEST) {
            return Err(PackageError::Missing(MANIFEST));
        }
        if !seen.contains(COMPONENT) {
            return Err(PackageError::Missing(COMPONENT));
        }
        for (_, file) in DESCRIPTIONS {
            if !seen.contains(file) {
                return Err(PackageError::Missing(file));
            }
        }
        package.screenshots = screenshots.into_values().collect();
        let signer = package.verify()?;
        Ok((package, signer))
    }

    /// The entries a signature covers, by name: everything but the signature itself.
    fn entries(&self) -> Vec<(String, &[u8])> {
        let mut entries: Vec<(String, &[u8])> = vec![
            (MANIFEST.into(), self.manifest.as_bytes()),
            (COMPONENT.into(), &self.component),
        ];
        for (locale, file) in DESCRIPTIONS {
            if let Some(text) = self.descriptions.get(locale) {
                entries.push((file.into(), text.as_bytes()));
            }
        }
        if let Some(icon) = &self.icon {
            entries.push((ICON.into(), icon));
        }
        for (i, shot) in self.screenshots.iter().enumerate() {
            entries.push((format!("screenshots/{}.png", i + 1), shot));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }

    /// What a publisher signs: the name they sign as, and every entry's name and SHA-256
    /// (so neither the files nor the name shown to admins can change after signing).
    pub fn statement(&self, publisher: &str) -> String {
        let mut out = String::from(STATEMENT_HEADER);
        out.push_str("publisher: ");
        out.push_str(publisher);
        out.push('\n');
        for (name, data) in self.entries() {
            out.push_str(&hex::encode(Sha256::digest(data)));
            out.push_str("  ");
            out.push_str(&name);
            out.push('\n');
        }
        out
    }

    /// Checks the signature, if any, against the package's entries.
    pub fn verify(&self) -> Result<Signer, PackageError> {
        let Some(file) = &self.signature else {
            return Ok(Signer::Unsigned);
        };
        if file.format != SIGNATURE_FORMAT {
            return Err(PackageError::BadSignatureFile(format!(
                "unknown format `{}`",
                file.format
            )));
        }
        check_publisher(&file.publisher)?;
        let key = parse_key(&file.key)?;
        let raw = b64()
            .decode(file.signature.trim())
            .map_err(|e| PackageError::BadSignatureFile(e.to_string()))?;
        let raw: [u8; 64] = raw
            .try_into()
            .map_err(|_| PackageError::BadSignatureFile("a signature is 64 bytes".into()))?;
        key.verify_strict(
            self.statement(&file.publisher).as_bytes(),
            &Signature::from_bytes(&raw),
        )
        .map_err(|_| PackageError::BadSignature)?;
        Ok(Signer::Signed {
            publisher: file.publisher.clone(),
            key: format_key(&key),
        })
    }

    /// Signs the package as `publisher` (replacing any earlier signature).
    pub fn sign(&mut self, publisher: &str, key: &SigningKey) -> Result<(), PackageError> {
        check_publisher(publisher)?;
        let signature = key.sign(self.statement(publisher).as_bytes());
        self.signature = Some(SignatureFile {
            format: SIGNATURE_FORMAT.into(),
            publisher: publisher.to_owned(),
            key: format_key(&key.verifying_key()),
            signature: b64().encode(signature.to_bytes()),
        });
        Ok(())
    }

    /// The package file.
    pub fn write(&self) -> Vec<u8> {
        use zip::write::SimpleFileOptions;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        // A fixed time keeps the same package byte-identical however often it is packed.
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        let mut write = |name: &str, data: &[u8]| {
            zip.start_file(name, options)
                .and_then(|()| zip.write_all(data).map_err(Into::into))
                .expect("writing to memory");
        };
        for (name, data) in self.entries() {
            write(&name, data);
        }
        if let Some(signature) = &self.signature {
            let json = serde_json::to_vec_pretty(signature).expect("serializable");
            write(SIGNATURE, &json);
        }
        zip.finish().expect("writing to memory").into_inner()
    }
}

/// A name admins will read: bounded, printable, and not able to reorder the text around it.
fn check_publisher(name: &str) -> Result<(), PackageError> {
    let chars = name.chars().count();
    let hostile = |c: char| {
        c.is_control()
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if chars == 0 || chars > MAX_PUBLISHER_CHARS || name.trim() != name || name.chars().any(hostile)
    {
        return Err(PackageError::BadPublisher);
    }
    Ok(())
}

fn limit_of(name: &str) -> Option<u64> {
    match name {
        MANIFEST => Some(MAX_TEXT_BYTES),
        COMPONENT => Some(MAX_COMPONENT_BYTES),
        ICON => Some(MAX_ICON_BYTES),
        SIGNATURE => Some(4096),
        _ if DESCRIPTIONS.iter().any(|(_, f)| *f == name) => Some(MAX_TEXT_BYTES),
        _ if screenshot_number(name).is_some() => Some(MAX_SCREENSHOT_BYTES),
        _ => None,
    }
}

/// `screenshots/N.png` with N in 1..=MAX_SCREENSHOTS.
fn screenshot_number(name: &str) -> Option<usize> {
    let n: usize = name
        .strip_prefix("screenshots/")?
        .strip_suffix(".png")?
        .parse()
        .ok()?;
    (1..=MAX_SCREENSHOTS).contains(&n).then_some(n)
}

fn text(name: &str, data: Vec<u8>) -> Result<String, PackageError> {
    String::from_utf8(data).map_err(|_| PackageError::NotText(name.to_owned()))
}

fn png(name: &str, data: Vec<u8>) -> Result<Vec<u8>, PackageError> {
    if data.starts_with(PNG_MAGIC) {
        Ok(data)
    } else {
        Err(PackageError::NotPng(name.to_owned()))
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// `ed25519:` + base64 of the public key.
pub fn format_key(key: &VerifyingKey) -> String {
    format!("{KEY_PREFIX}{}", b64().encode(key.to_bytes()))
}

pub fn parse_key(text: &str) -> Result<VerifyingKey, PackageError> {
    let bad = || PackageError::BadKey(text.chars().take(80).collect());
    let raw = text
        .trim()
        .strip_prefix(KEY_PREFIX)
        .and_then(|k| b64().decode(k).ok())
        .ok_or_else(bad)?;
    let raw: [u8; 32] = raw.try_into().map_err(|_| bad())?;
    VerifyingKey::from_bytes(&raw).map_err(|_| bad())
}

/// A publisher's secret key file: `ed25519-secret:` + the 32-byte seed in base64.
pub fn format_secret(key: &SigningKey) -> String {
    format!("ed25519-secret:{}\n", b64().encode(key.to_bytes()))
}

pub fn parse_secret(text: &str) -> Result<SigningKey, PackageError> {
    let bad = || PackageError::BadKey("the secret key file is malformed".into());
    let raw = text
        .trim()
        .strip_prefix("ed25519-secret:")
        .and_then(|k| b64().decode(k).ok())
        .ok_or_else(bad)?;
    let raw: [u8; 32] = raw.try_into().map_err(|_| bad())?;
    Ok(SigningKey::from_bytes(&raw))
}

/// A fresh publisher key from the operating system's entropy.
pub fn generate_secret() -> SigningKey {
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
    SigningKey::from_bytes(&seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(extra: &[u8]) -> Vec<u8> {
        [PNG_MAGIC, extra].concat()
    }

    fn sample() -> Package {
        Package {
            manifest: "id = \"polls\"\nversion = \"1.0.0\"\n".into(),
            component: b"\0asm fake component".to_vec(),
            descriptions: [
                ("en".to_owned(), "Quick polls.".to_owned()),
                ("zh-CN".to_owned(), "快速投票。".to_owned()),
            ]
            .into(),
            icon: Some(png_bytes(b"icon")),
            screenshots: vec![png_bytes(b"one"), png_bytes(b"two")],
            signature: None,
        }
    }

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn an_unsigned_package_reads_back_as_written() {
        let package = sample();
        let (read, signer) = Package::read(&package.write()).unwrap();
        assert_eq!(read, package);
        assert_eq!(signer, Signer::Unsigned);
        // Packing is deterministic.
        assert_eq!(package.write(), sample().write());
    }

    #[test]
    fn a_signed_package_names_its_key() {
        let mut package = sample();
        package.sign("Acme", &key(7)).unwrap();
        let (read, signer) = Package::read(&package.write()).unwrap();
        assert_eq!(
            signer,
            Signer::Signed {
                publisher: "Acme".into(),
                key: format_key(&key(7).verifying_key())
            }
        );
        assert_eq!(read.verify(), Ok(signer));
    }

    #[test]
    fn any_change_after_signing_breaks_the_signature() {
        let mut signed = sample();
        signed.sign("Acme", &key(7)).unwrap();
        type Tampering = Box<dyn Fn(&mut Package)>;
        let tamper: Vec<Tampering> = vec![
            Box::new(|p| p.component.push(0)),
            Box::new(|p| p.manifest.push_str("capabilities = [\"http\"]\n")),
            Box::new(|p| {
                p.descriptions.insert("en".into(), "Now free!".into());
            }),
            Box::new(|p| p.icon = None),
            Box::new(|p| p.screenshots.push(png_bytes(b"three"))),
            Box::new(|p| p.screenshots.swap(0, 1)),
            // Another key's signature under the first key's name.
            Box::new(|p| {
                let mut other = p.clone();
                other.sign("Acme", &key(8)).unwrap();
                let mut forged = other.signature.unwrap();
                forged.key = p.signature.as_ref().unwrap().key.clone();
                p.signature = Some(forged);
            }),
        ];
        for (i, change) in tamper.iter().enumerate() {
            let mut package = signed.clone();
            change(&mut package);
            assert_eq!(
                Package::read(&package.write()).map(|(_, s)| s),
                Err(PackageError::BadSignature),
                "tampering #{i}"
            );
        }
    }

    #[test]
    fn required_parts_and_limits_are_enforced() {
        let mut no_zh = sample();
        no_zh.descriptions.remove("zh-CN");
        assert_eq!(
            Package::read(&no_zh.write()),
            Err(PackageError::Missing("description.zh-CN.md"))
        );
        let mut bad_icon = sample();
        bad_icon.icon = Some(b"<svg onload=alert(1)>".to_vec());
        assert_eq!(
            Package::read(&bad_icon.write()),
            Err(PackageError::NotPng("icon.png".into()))
        );
        let mut big_icon = sample();
        big_icon.icon = Some(png_bytes(&vec![0; MAX_ICON_BYTES as usize]));
        assert!(matches!(
            Package::read(&big_icon.write()),
            Err(PackageError::TooLarge { .. })
        ));
        assert!(matches!(
            Package::read(b"not a zip"),
            Err(PackageError::NotAnArchive(_))
        ));
    }

    #[test]
    fn foreign_entries_are_refused() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for name in ["courtyard.toml", "plugin.wasm", "../../etc/passwd"] {
            zip.start_file(name, options).unwrap();
            zip.write_all(b"x").unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        assert_eq!(
            Package::read(&bytes),
            Err(PackageError::Unexpected("../../etc/passwd".into()))
        );
    }

    #[test]
    fn the_publisher_name_is_signed_and_bounded() {
        let mut package = sample();
        package.sign("Acme", &key(7)).unwrap();
        // Relabelled after signing: the signature no longer holds.
        let mut relabelled = package.clone();
        relabelled.signature.as_mut().unwrap().publisher = "Courtyard".into();
        assert_eq!(
            Package::read(&relabelled.write()).map(|(_, s)| s),
            Err(PackageError::BadSignature)
        );
        for bad in ["", " Acme", "Acme\n", "evil\u{202E}emca", &"x".repeat(101)] {
            assert_eq!(
                package.sign(bad, &key(7)),
                Err(PackageError::BadPublisher),
                "{bad:?}"
            );
        }
        // The longest name still makes a package that reads back.
        package
            .sign(&"字".repeat(MAX_PUBLISHER_CHARS), &key(7))
            .unwrap();
        assert!(Package::read(&package.write()).is_ok());
    }

    #[test]
    fn keys_round_trip_and_garbage_is_refused() {
        let secret = key(3);
        assert_eq!(
            parse_secret(&format_secret(&secret)).unwrap().to_bytes(),
            secret.to_bytes()
        );
        let public = format_key(&secret.verifying_key());
        assert_eq!(parse_key(&public).unwrap(), secret.verifying_key());
        for bad in ["", "ed25519:", "ed25519:AAAA", "rsa:abc", &public[..20]] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Whatever bytes arrive, reading answers with a package or an error, never a panic.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = Package::read(&bytes);
        }

        /// A real package with some bytes flipped is refused or still verifies — a flip
        /// never yields a signed package with different contents.
        #[test]
        fn flipped_bytes_never_forge_a_signature(at in 0usize..4096, bit in 0u8..8) {
            let mut package = sample();
            package.sign("Acme", &key(9)).unwrap();
            let mut bytes = package.write();
            let at = at % bytes.len();
            bytes[at] ^= 1 << bit;
            if let Ok((read, Signer::Signed { .. })) = Package::read(&bytes) {
                proptest::prop_assert_eq!(read, package);
            }
        }
    }
}
