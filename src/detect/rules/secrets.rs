//! Credentials and keys. Every token detector rejects low-entropy values
//! (`AKIAXXXXXXXXXXXXXXXX`), so placeholders in docs never count as leaks.

use std::ops::Range;

use super::{ascii_alnum, ascii_word, verbatim};
use crate::detect::context::{bounded, entropy, MIN_ENTROPY};
use crate::detect::validators::{checksum, token};
use crate::detect::{Candidate, Category, Detector};

pub const DETECTORS: &[Detector] = &[
    AWS_ACCESS_KEY_ID,
    GITHUB_TOKEN,
    SLACK_TOKEN,
    STRIPE_SECRET_KEY,
    PRIVATE_KEY,
    JWT,
];

/// A token bounded by `glued` characters on neither side and with enough
/// entropy to be real.
fn token_span(c: &Candidate<'_>, glued: fn(char) -> bool) -> Option<Range<usize>> {
    (bounded(c.text, c.start, c.end, glued) && entropy(c.value()) >= MIN_ENTROPY).then(|| c.range())
}

// ---------------------------------------------------------------- AWS

pub const AWS_ACCESS_KEY_ID: Detector = Detector {
    id: "AWS_ACCESS_KEY_ID",
    category: Category::Secret,
    description: "AWS access key id (long-term AKIA, temporary ASIA, and other unique-id prefixes)",
    pattern: r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}",
    anchors: &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
    context: &[],
    validator: aws_key_id,
    validator_name: "prefix + 16 base32 characters, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[AWS_ACCESS_KEY_ID]",
    regulations: &[],
    priority: 85,
    examples: &[
        "export AWS_ACCESS_KEY_ID=AKIAI3AJ36QEZUXAIAON",
        "{\"AccessKeyId\": \"ASIAS6FWLLIWMRI77Y4Q\"}",
        "--access-key AKIA3TGQQHYXYHBYJ6J7 --region eu-west-1",
    ],
    near_misses: &[
        "key AKIADOJCJVCX0189QYLS",
        "key AKIAIN22CG5L2D3Z3UW",
        "key AKIAXXXXXXXXXXXXXXXX",
        "key XAKIAJNQYA6EG76JQJHX5",
        "key akiak3jls5suimusmbqy",
        "key AKIAI3AJ36QEZUXAIAONX",
    ],
};

fn aws_key_id(c: &Candidate<'_>) -> Option<Range<usize>> {
    token_span(c, ascii_alnum)
}

// ---------------------------------------------------------------- GITHUB

pub const GITHUB_TOKEN: Detector = Detector {
    id: "GITHUB_TOKEN",
    category: Category::Secret,
    description: "GitHub token: classic ghp_/gho_/ghu_/ghs_/ghr_ with its CRC-32 checksum, or fine-grained github_pat_",
    pattern: r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
    anchors: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    context: &[],
    validator: github_token,
    validator_name: "base62 CRC-32 checksum (classic) or github_pat_ 22_59 layout, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[GITHUB_TOKEN]",
    regulations: &[],
    priority: 90,
    examples: &[
        "export GITHUB_TOKEN=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",
        "oauth token 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 issued to the app",
        "GH_TOKEN=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",
    ],
    near_misses: &[
        "export GITHUB_TOKEN=ghp_qQ4hiE5dGze0Qpm3y5lQO5KZ9WCgbv2lwXqK",
        "export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "export GITHUB_TOKEN=ghp_HRuEH0qvzMMn16fgpqToktu7Hqicr53OPOz",
        "export GITHUB_TOKEN=ghx_OgeYugXxtnQ17bvQ5uSaj2o7GtsaLl3H4gJ7",
        "config: github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456",
        "x_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",
    ],
};

fn github_token(c: &Candidate<'_>) -> Option<Range<usize>> {
    let r = token_span(c, ascii_word)?;
    let v = c.value();
    (v.starts_with("github_pat_") || checksum::crc_token(v)).then_some(r)
}

// ---------------------------------------------------------------- SLACK

pub const SLACK_TOKEN: Detector = Detector {
    id: "SLACK_TOKEN",
    category: Category::Secret,
    description: "Slack bot (xoxb-), user (xoxp-) or app-level (xapp-) token",
    pattern: concat!(
        r"xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24}",
        r"|xoxp-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32}",
        r"|xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,13}-[a-f0-9]{64}",
    ),
    anchors: &["xoxb-", "xoxp-", "xapp-"],
    context: &[],
    validator: slack_token,
    validator_name: "Slack token layout, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[SLACK_TOKEN]",
    regulations: &[],
    priority: 85,
    examples: &[
        "SLACK_BOT_TOKEN=xoxb-174950008663-0774291658388-dgJiJV57GmBfrsggTowxrE22",
        "user token xoxp-601276435955-917281824234-6825328323330-83d5ce5f06fa476e101a225d8bf7fd97",
        "SLACK_APP_TOKEN=xapp-1-ACJAZ741HTM-5605503256779-7ba3f65818ddd15f02bd17a393c78937e611f8789cadc6f81f000e1499dc8d9b",
    ],
    near_misses: &[
        "token xoxb-123",
        "SLACK_BOT_TOKEN=xoxb-your-bot-token-here",
        "token xoxq-983248818848-2645992413724-5pDIbxhqcKnTag3lvpUWHqDd",
        "token xoxp-422333873160-722774713906-1982730856505-d1df791fe3d518c5",
        "token xoxb-174950008663-0774291658388-dgJiJV57GmBfrsggTowxrE22X",
    ],
};

fn slack_token(c: &Candidate<'_>) -> Option<Range<usize>> {
    token_span(c, ascii_alnum)
}

// ---------------------------------------------------------------- STRIPE

pub const STRIPE_SECRET_KEY: Detector = Detector {
    id: "STRIPE_SECRET_KEY",
    category: Category::Secret,
    description: "Stripe live secret (sk_live_) or restricted (rk_live_) key",
    pattern: r"[sr]k_live_[A-Za-z0-9]{24,99}",
    anchors: &["sk_live_", "rk_live_"],
    context: &[],
    validator: stripe_key,
    validator_name: "24-99 alphanumerics after the prefix, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[STRIPE_SECRET_KEY]",
    regulations: &[],
    priority: 85,
    examples: &[
        "STRIPE_SECRET_KEY=sk_live_xP77LvDpx6eSPpF6jCfBddim",
        "restricted key rk_live_NcHlcZoBEcD5HpaR8pvDTR6E",
        "Use sk_live_Gr6rPbyoEamwrQeR1R6S31N8 in production.",
    ],
    near_misses: &[
        "pk_live_oWzDnco743mIB0E4IqsMhZio is the publishable key",
        "key sk_live_Nxw2tp7oSJ",
        "key sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
        "key sk_test_n7Yua6p9yF5FmazGtgOMNAsA",
        "config: sk_test_placeholder",
        "key xsk_live_Gr6rPbyoEamwrQeR1R6S31N8",
    ],
};

fn stripe_key(c: &Candidate<'_>) -> Option<Range<usize>> {
    token_span(c, ascii_word)
}

// ---------------------------------------------------------------- PRIVATE_KEY

pub const PRIVATE_KEY: Detector = Detector {
    id: "PRIVATE_KEY",
    category: Category::Secret,
    description: "PEM, OpenSSH or PGP private key block with a real base64 body",
    pattern: r"-----BEGIN (?:(?:RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----",
    anchors: &["-----BEGIN "],
    context: &[],
    validator: private_key,
    validator_name: "header + at least 64 base64 characters of body (newlines or literal \\n)",
    normaliser: verbatim,
    placeholder: "[PRIVATE_KEY]",
    regulations: &[],
    priority: 95,
    examples: &[
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIaJs4r0OS+JuiO5VZArMeUVaQpWhLtqgxIBRQuhceb8BPuTtxZTMrbwp\nh7WT5RGujSvijQimyWCOfEkI99Tj2eM0v1h4G7tn0qLozp4gaP5nwMAD0pDdf+74\n-----END EC PRIVATE KEY-----",
        "KEY = \"-----BEGIN RSA PRIVATE KEY-----\\nMIIEoww7pmk9Vx5xJGHhaTTMF2qDioeFmYt6foRhZq87LTsPVvb5ZiiWdp/RdOek\\neO4WZPJMGbDQdQ94mejD0RVL1SD5odOTxdGnUkQfjN0rKkfbbGYUoIYMZhYY9Xaa\\n-----END RSA PRIVATE KEY-----\\n\"",
    ],
    near_misses: &[
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCNiiL2+5pyr6ipt9B52jB/b5ndoVpwPBRWpqY\nKGulz6dywPKrlJkhE1E7e9nruN3ygFI0Kt20BF/ZmhlN2nTVjlEXr7cF1o9afqVQ\n-----END PUBLIC KEY-----",
        "Your key file should begin with \"-----BEGIN OPENSSH PRIVATE KEY-----\" and nothing else.",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEoww7pmk9Vx5xJGHhaTTMF2qDioeFmYt6\n-----END RSA PRIVATE KEY-----",
    ],
};

/// The header alone proves nothing (docs quote it); the body must follow.
/// The reported span covers the whole block so masking removes the key.
fn private_key(c: &Candidate<'_>) -> Option<Range<usize>> {
    let rest = c.text.get(c.end..)?;
    let (b64, end) = token::pem_body(rest);
    (b64 >= 64).then(|| c.start..c.end + end)
}

// ---------------------------------------------------------------- JWT

pub const JWT: Detector = Detector {
    id: "JWT",
    category: Category::Secret,
    description: "JSON Web Token (three base64url segments, header with an alg)",
    pattern: r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+",
    anchors: &["eyJ"],
    context: &[],
    validator: jwt,
    validator_name: "segments decode; header is a JSON object with a string alg",
    normaliser: verbatim,
    placeholder: "[JWT]",
    regulations: &[],
    priority: 80,
    examples: &[
        "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEwMDEiLCJpYXQiOjE3MDAwMDAwMDB9.tk9amdj0R6lqSHQtu4aLA6idjYzsG_RruP-bk49V63c",
        "token eyJhbGciOiJIUzUxMiJ9.eyJzY29wZSI6InJlYWQifQ.5-yJhuCfNZTLaIEW3oIb2cLVUwYwyQ9PqDhJNNY6oPZPOOwrXD7qubg0j576spZosJVPqxMCJ9iQxXwf736CEQ expired",
        "the token was eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl.",
    ],
    near_misses: &[
        "token eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ1c2VyLTEwMDEifQ.mwBw6J3KBO4KlqtUfOa6z8f_ZOCO_ecoiw8ihNAJJ2w",
        "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEwMDEifQ",
        "token eyJ__79_Pv6-fj3.eyJzdWIiOiJ4In0.OOW2DLdHjIK9i9bUjhZSsyx9U8m63zDyGJo_9_ooAXs",
        "config: eyJnotajwt.abc.def",
        "jwe eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl.c2lnbmF0dXJl",
    ],
};

fn jwt(c: &Candidate<'_>) -> Option<Range<usize>> {
    let seg = |x: char| x.is_ascii_alphanumeric() || x == '_' || x == '-';
    if c.before().is_some_and(|p| seg(p) || p == '.') || c.after().is_some_and(seg) {
        return None;
    }
    // A fourth segment makes it something else (JWE); a full stop ending
    // the sentence does not.
    let rest = c.text.as_bytes().get(c.end..).unwrap_or(&[]);
    if rest.first() == Some(&b'.') && rest.get(1).is_some_and(|&b| seg(char::from(b))) {
        return None;
    }
    token::jwt(c.value()).then(|| c.range())
}
