//! Anonymous forms: answers that are not linked to people, while each person still answers
//! once.
//!
//! **What is stored.** An anonymous answer carries no respondent: no person id, no name, no
//! hash of either ([`super::submission::Submission::respondent`] is `None`), and its times
//! are coarsened to the hour so the moment of answering does not single a person out. Who
//! has answered is kept apart, in the form's [`Roll`]: a set of *respondent keys*, one per
//! person who answered, with no order, no times and no link to any answer. A respondent key
//! is `HMAC-SHA256(secret, "courtyard-forms/v1/" form id "/" person id)` in hex, where the
//! secret is 32 random bytes the wiring draws when the form is created, stores beside the
//! form, and never shows or exports.
//!
//! **What it allows.** Knowing a person, the plugin computes their key and tells whether
//! they answered: so it refuses a second answer to a one-answer form, and it can remind the
//! people who have not answered. Without the secret the keys say nothing (they are not a
//! hash of the id alone, so nobody can test ids against them); with it, someone reading
//! the plugin's storage learns *who* answered, never *what*: no key sits beside an answer.
//!
//! **Trade-offs.** (1) Participation is knowable by whoever holds the secret; the results
//! pages therefore show for anonymous forms only *how many* have not answered, and the
//! reminder action sends to the non-respondents without listing them
//! ([`super::stats::outstanding`]). (2) Because nothing links a person to an answer, an
//! anonymous answer can never be changed (nobody can prove it is theirs): anonymous forms
//! cannot be editable. Drafts are the person's own, unsent work and are kept per person;
//! submitting deletes the draft and stores the answer without it. (3) With very few
//! answers, results identify people by elimination (one answer from a team of one): the
//! answers, statistics and exports of an anonymous form are shown only once
//! [`MIN_ANONYMOUS_ANSWERS`] have come in (the wiring asks [`may_show_results`] first). (4) Answers get serial numbers in order;
//! someone watching the roll grow in real time could line the two up. Coarse times and the
//! roll's lack of order make that as hard as the plugin can make it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// An anonymous form's answers and statistics are shown once this many have come in.
pub const MIN_ANONYMOUS_ANSWERS: usize = 3;

/// Bytes of a form's secret.
pub const SECRET_BYTES: usize = 32;

/// A person's respondent key for a form (64 hex digits).
pub fn respondent_key(secret: &[u8], form_id: &str, person_id: &str) -> String {
    let message = format!("courtyard-forms/v1/{form_id}/{person_id}");
    hex(&hmac_sha256(secret, message.as_bytes()))
}

/// Who has answered an anonymous form: respondent keys, unordered (kept sorted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roll {
    keys: BTreeSet<String>,
}

impl Roll {
    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    /// Adds a key; false when it was there already.
    pub fn insert(&mut self, key: String) -> bool {
        self.keys.insert(key)
    }

    /// Takes a key off again (an answer that could not be stored after all); whether it
    /// was there.
    pub fn remove(&mut self, key: &str) -> bool {
        self.keys.remove(key)
    }

    /// Adds every key of `other` (the wiring keeps a roll in shards, each its own record).
    pub fn merge(&mut self, other: Roll) {
        self.keys.extend(other.keys);
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Whether an anonymous form has enough answers to show them.
pub fn may_show_results(anonymous: bool, answers: usize) -> bool {
    !anonymous || answers >= MIN_ANONYMOUS_ANSWERS
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC (RFC 2104) with SHA-256.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&sha256(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Vec::with_capacity(64 + message.len());
    inner.extend(block.iter().map(|b| b ^ 0x36));
    inner.extend_from_slice(message);
    let mut outer = Vec::with_capacity(96);
    outer.extend(block.iter().map(|b| b ^ 0x5c));
    outer.extend_from_slice(&sha256(&inner));
    sha256(&outer)
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 (FIPS 180-4).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut padded = data.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());
    for chunk in padded.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in chunk.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_answers() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(&sha256(&[b'a'; 1000])),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
        );
    }

    #[test]
    fn hmac_known_answers() {
        // RFC 4231, test cases 1, 2 and 6 (a key longer than a block).
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn keys_depend_on_secret_form_and_person() {
        let k = respondent_key(b"secret", "f1", "alice");
        assert_eq!(k.len(), 64);
        assert_eq!(k, respondent_key(b"secret", "f1", "alice"));
        assert_ne!(k, respondent_key(b"other", "f1", "alice"));
        assert_ne!(k, respondent_key(b"secret", "f2", "alice"));
        assert_ne!(k, respondent_key(b"secret", "f1", "bob"));
        assert!(!k.contains("alice"));
        let mut roll = Roll::default();
        assert!(roll.insert(k.clone()));
        assert!(!roll.insert(k.clone()));
        assert!(roll.contains(&k));
        assert_eq!(roll.len(), 1);
        assert!(may_show_results(false, 0));
        assert!(!may_show_results(true, 2));
        assert!(may_show_results(true, 3));
    }
}
