//! Credentials and keys. Every token detector rejects low-entropy values
//! (`AKIAXXXXXXXXXXXXXXXX`), so placeholders in docs never count as leaks.

use std::ops::Range;

use super::{ascii_alnum, ascii_word, verbatim};
use crate::detect::context::{
    bounded, entropy, is_placeholder, is_word, near, MIN_ENTROPY, WINDOW,
};
use crate::detect::validators::{checksum, token};
use crate::detect::{Candidate, Category, Detector};

pub const DETECTORS: &[Detector] = &[
    AWS_ACCESS_KEY_ID,
    GITHUB_TOKEN,
    SLACK_TOKEN,
    STRIPE_SECRET_KEY,
    PRIVATE_KEY,
    JWT,
    AWS_SECRET_ACCESS_KEY,
    GITLAB_TOKEN,
    SLACK_WEBHOOK,
    OPENAI_API_KEY,
    ANTHROPIC_API_KEY,
    GOOGLE_API_KEY,
    HUGGINGFACE_TOKEN,
    NPM_TOKEN,
    PYPI_TOKEN,
    AZURE_STORAGE_KEY,
    TWILIO_API_KEY,
    SENDGRID_API_KEY,
    DATABASE_URL_PASSWORD,
    URL_CREDENTIALS,
    GENERIC_SECRET,
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
    dfa_pattern: None,
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
    dfa_pattern: None,
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
    dfa_pattern: None,
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
    dfa_pattern: None,
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
    dfa_pattern: None,
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
    dfa_pattern: None,
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

// ---------------------------------------------------------------- AWS secret

const AWS_SECRET_CONTEXT: &[&str] = &[
    "*aws_secret*",
    "*awssecret*",
    "*aws secret*",
    "*secret_access_key*",
    "*secretaccess_key*",
    "*secret_accesskey*",
    "*secretaccesskey*",
    "*secret access key*",
];

pub const AWS_SECRET_ACCESS_KEY: Detector = Detector {
    id: "AWS_SECRET_ACCESS_KEY",
    category: Category::Secret,
    description: "AWS secret access key (40 base64 characters) near an AWS-secret word",
    pattern: r"[A-Za-z0-9/+]{40}",
    // Every finding needs a context word, and each of them contains this.
    dfa_pattern: None,
    anchors: &["secret"],
    context: AWS_SECRET_CONTEXT,
    validator: aws_secret,
    validator_name: "40 characters of A-Za-z0-9/+, entropy >= 3.0, AWS-secret context",
    normaliser: verbatim,
    placeholder: "[AWS_SECRET_ACCESS_KEY]",
    regulations: &[],
    priority: 80,
    examples: &[
        "aws_secret_access_key = 3GBaT2oz0+Bpd5mySqIL4Vs1WTFk+UULqvTAMITo",
        "{\"SecretAccessKey\": \"JP5U45pB1xceo6Q1AALEr4oCBBSZ38vqsto7h0b/\"}",
        "The AWS secret key is +L1mmMMvk6SFhfylNirMoUPOe9zDGrnStcYaNz2T, rotate it.",
    ],
    near_misses: &[
        "checksum aO15qaB8vrI6/Scoei/2stLTxHUWN+pHYj62x1FZ verified",
        "aws_secret_access_key = 59wA7++GTwXXJg1X+b768QQ9OOPuTg4AVDr7a6p",
        "aws_secret_access_key = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "aws_secret_access_key = 3GBaT2oz0+Bpd5mySqIL4Vs1WTFk+UULqvTAMITo=",
    ],
};

fn aws_secret(c: &Candidate<'_>) -> Option<Range<usize>> {
    let b64 = |x: char| x.is_ascii_alphanumeric() || x == '/' || x == '+';
    if c.before().is_some_and(b64) || c.after().is_some_and(|x| b64(x) || x == '=') {
        return None;
    }
    (entropy(c.value()) >= MIN_ENTROPY && near(c.text, c.start, c.end, AWS_SECRET_CONTEXT, WINDOW))
        .then(|| c.range())
}

// ---------------------------------------------------------------- GitLab

pub const GITLAB_TOKEN: Detector = Detector {
    id: "GITLAB_TOKEN",
    category: Category::Secret,
    description:
        "GitLab personal (glpat-), deploy (gldt-) or runner (glrt-) token, routable glpat- included",
    // Routable tokens first: their first 20 characters would otherwise
    // match the short form and fail its boundary.
    pattern: r"glpat-[A-Za-z0-9_\-]{27,300}\.[0-9a-z]{9}|(?:glpat|gldt|glrt)-[A-Za-z0-9_\-]{20}",
    dfa_pattern: None,
    anchors: &["glpat-", "gldt-", "glrt-"],
    context: &[],
    validator: gitlab_token,
    validator_name: "prefix + 20 characters (or routable 27-300 + . + 9), entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[GITLAB_TOKEN]",
    regulations: &[],
    priority: 85,
    examples: &[
        "export GITLAB_TOKEN=glpat-FAeRFjsFasb7cSuEhN6w",
        "deploy token gldt-4rH5N39Pyydi91Hfgcg2",
        "token glpat-uoTHbFPiJSx4zpSVkoefxd443cfQ7f.019plrtec",
    ],
    near_misses: &[
        "token glpat-oiDAP6rnCOhoo4Ij3GS",
        "token glpat-xxxxxxxxxxxxxxxxxxxx",
        "token glpat-<your-token-here>",
        "token gl-pat-pxq1KQkjJnhYeiZJMHuW",
    ],
};

fn gitlab_token(c: &Candidate<'_>) -> Option<Range<usize>> {
    let tok = |x: char| x.is_ascii_alphanumeric() || x == '_' || x == '-';
    if c.before().is_some_and(tok) || c.after().is_some_and(|x| tok(x) || x == '.') {
        return None;
    }
    (entropy(c.value()) >= MIN_ENTROPY).then(|| c.range())
}

// ---------------------------------------------------------------- Slack webhook

pub const SLACK_WEBHOOK: Detector = Detector {
    id: "SLACK_WEBHOOK",
    category: Category::Secret,
    description: "Slack incoming-webhook URL",
    pattern: r"(?:https?://)?hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}",
    dfa_pattern: None,
    anchors: &["hooks.slack.com/services/"],
    context: &[],
    validator: slack_webhook,
    validator_name: "T.../B.../24 alphanumerics, secret part entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[SLACK_WEBHOOK]",
    regulations: &[],
    priority: 85,
    examples: &[
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/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",
        "url=hooks.slack.com/services/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",
    ],
    near_misses: &[
        "url=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "url=https://hooks.slack.com/services/TOCY8QM9HP/BWWYRVFKYX/eZSceMCuvOFquGuO5V6o",
        "See https://api.slack.com/messaging/webhooks for setup.",
    ],
};

fn slack_webhook(c: &Candidate<'_>) -> Option<Range<usize>> {
    let v = c.value();
    let secret = v.get(v.len().checked_sub(24)?..)?;
    (!c.after().is_some_and(ascii_alnum) && entropy(secret) >= MIN_ENTROPY).then(|| c.range())
}

// ---------------------------------------------------------------- OpenAI

pub const OPENAI_API_KEY: Detector = Detector {
    id: "OPENAI_API_KEY",
    category: Category::Secret,
    description: "OpenAI API key (legacy sk-, project, service-account and admin keys)",
    pattern: concat!(
        r"sk-(?:proj|svcacct|admin)-(?:[A-Za-z0-9_\-]{74}|[A-Za-z0-9_\-]{58})T3BlbkFJ(?:[A-Za-z0-9_\-]{74}|[A-Za-z0-9_\-]{58})",
        r"|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}",
    ),
    dfa_pattern: None,
    anchors: &["T3BlbkFJ"],
    context: &[],
    validator: dashed_token,
    validator_name: "key layout with the T3BlbkFJ marker, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[OPENAI_API_KEY]",
    regulations: &[],
    priority: 85,
    examples: &[
        "OPENAI_API_KEY=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",
        "key: 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",
    ],
    near_misses: &[
        "OPENAI_API_KEY=sk-nYX3M4vC7ER2Au6fLLyugfEfZ3ohw0bhB01T5u6uakbFZHk3",
        "key sk-8baa3d98611a4fe9885bb668a4cae458",
        "key sk-proj-YjFWFUihOs1X6k7upoMoqf3bCJV3cF",
    ],
};

/// Tokens whose alphabet includes `_` and `-` (so those glue too).
fn dashed_token(c: &Candidate<'_>) -> Option<Range<usize>> {
    token_span(c, |x| x.is_ascii_alphanumeric() || x == '_' || x == '-')
}

// ---------------------------------------------------------------- Anthropic

pub const ANTHROPIC_API_KEY: Detector = Detector {
    id: "ANTHROPIC_API_KEY",
    category: Category::Secret,
    description: "Anthropic API or admin key",
    pattern: r"sk-ant-(?:api03|admin01)-[A-Za-z0-9_\-]{93}AA",
    dfa_pattern: None,
    anchors: &["sk-ant-"],
    context: &[],
    validator: dashed_token,
    validator_name: "sk-ant-api03-/sk-ant-admin01- + 93 characters + AA, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[ANTHROPIC_API_KEY]",
    regulations: &[],
    priority: 85,
    examples: &[
        "ANTHROPIC_API_KEY=sk-ant-api03-9Ue4MCb0O0RjjOcjFV7YNiAUjOe9B78_Ijmh7TsOTWiClaH9fY3jT_B8U3b6Me5NNllfyGBfnNcAUqucOxcKRX6U_vfhNAA",
    ],
    near_misses: &[
        "key sk-ant-api03-3ZGzBW7aFtiej43CvHz8cFdjLziknexQUcOMmkq3T0gtlS6KQn225bbOU5mXJmasrNlbjS3HTkOlDfjPiuhbmdFXtgajXAB",
        "ANTHROPIC_API_KEY=sk-ant-api03-...",
        "key 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",
    ],
};

// ---------------------------------------------------------------- Google

pub const GOOGLE_API_KEY: Detector = Detector {
    id: "GOOGLE_API_KEY",
    category: Category::Secret,
    description: "Google API key (AIza...)",
    pattern: r"AIza[A-Za-z0-9_\-]{35}",
    dfa_pattern: None,
    anchors: &["AIza"],
    context: &[],
    validator: dashed_token,
    validator_name: "AIza + 35 characters, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[GOOGLE_API_KEY]",
    regulations: &[],
    priority: 85,
    examples: &[
        "GOOGLE_API_KEY=AIzaSykMJi6lqeMLR7f2W0NFWbW8WaSU1v6dz8C",
        "curl ...?key=AIzaSyKCoGCtHcihZkTK9ChuhDuspet0jMsc5Eo",
    ],
    near_misses: &[
        "key AIzaSye6deIfhjgGnTF2uvGY4tPcK2ISKzZF7X",
        "key AIzaSyMaT1PeDeowSDuy1JlVGfcWGPT4JC5qipZP",
        "key AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    ],
};

// ---------------------------------------------------------------- Hugging Face

pub const HUGGINGFACE_TOKEN: Detector = Detector {
    id: "HUGGINGFACE_TOKEN",
    category: Category::Secret,
    description: "Hugging Face user (hf_) or organisation (api_org_) token",
    pattern: r"(?:hf|api_org)_[A-Za-z]{34}",
    dfa_pattern: None,
    anchors: &["hf_", "api_org_"],
    context: &[],
    validator: hf_token,
    validator_name: "prefix + 34 letters, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[HUGGINGFACE_TOKEN]",
    regulations: &[],
    priority: 85,
    examples: &[
        "HF_TOKEN=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",
        "org token 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",
    ],
    near_misses: &[
        "from huggingface_hub import hf_hub_download",
        "HF_TOKEN=hf_igZmRtXIZVOQSgeFwHVj",
        "HF_TOKEN=hf_uaWEyBUSbTonQTZCfgaoeybOSOhchjNuhsm",
    ],
};

fn hf_token(c: &Candidate<'_>) -> Option<Range<usize>> {
    token_span(c, ascii_word)
}

// ---------------------------------------------------------------- npm

pub const NPM_TOKEN: Detector = Detector {
    id: "NPM_TOKEN",
    category: Category::Secret,
    description: "npm access token with its CRC-32 checksum",
    pattern: r"npm_[A-Za-z0-9]{36}",
    dfa_pattern: None,
    anchors: &["npm_"],
    context: &[],
    validator: npm_token,
    validator_name: "base62 CRC-32 checksum, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[NPM_TOKEN]",
    regulations: &[],
    priority: 90,
    examples: &["NPM_TOKEN=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"],
    near_misses: &[
        "NPM_TOKEN=npm_TuClHe5thWA3gQ08eeTR9t7rSjdL8I1rS0aG",
        "echo $npm_config_registry",
        "NPM_TOKEN=npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ],
};

fn npm_token(c: &Candidate<'_>) -> Option<Range<usize>> {
    token_span(c, ascii_word).filter(|_| checksum::crc_token(c.value()))
}

// ---------------------------------------------------------------- PyPI

pub const PYPI_TOKEN: Detector = Detector {
    id: "PYPI_TOKEN",
    category: Category::Secret,
    description: "PyPI API token (macaroon for pypi.org)",
    pattern: r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}",
    dfa_pattern: None,
    anchors: &["pypi-AgEIcHlwaS5vcmc"],
    context: &[],
    validator: pypi_token,
    validator_name: "pypi.org macaroon header + 50-1000 characters, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[PYPI_TOKEN]",
    regulations: &[],
    priority: 85,
    examples: &["TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmcCYwV4ndnUkxiIeYRZhtA6XooFJWYcdPZCgoz_2zFBjg2SFZR5x1mzuDc0baQyjbqXE"],
    near_misses: &[
        "token pypi-AgEIcHlwaS5vcmcDhsqNyzBdHPi3buZ6oDt6UXFy8bwEg",
        "pip install pypi-simple-index",
        "TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmc",
    ],
};

fn pypi_token(c: &Candidate<'_>) -> Option<Range<usize>> {
    (c.end - c.start <= "pypi-AgEIcHlwaS5vcmc".len() + 1000)
        .then(|| dashed_token(c))
        .flatten()
}

// ---------------------------------------------------------------- Azure

pub const AZURE_STORAGE_KEY: Detector = Detector {
    id: "AZURE_STORAGE_KEY",
    category: Category::Secret,
    description: "Azure storage account key (AccountKey= in a connection string)",
    pattern: r"AccountKey=[A-Za-z0-9+/]{86}==",
    dfa_pattern: None,
    anchors: &["AccountKey="],
    context: &[],
    validator: azure_key,
    validator_name: "88 base64 characters decoding to 64 bytes, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[AZURE_STORAGE_KEY]",
    regulations: &[],
    priority: 85,
    examples: &["AccountName=backup05;AccountKey=nNQKNBClwih+fPgNDK1M68zBXvdMn1T1VKfppOwl2eJduWzvriwaIeuJ1szcNLymXZo5yrSOIWHf10WrxsigVA=="],
    near_misses: &[
        "AccountName=demo;AccountKey=<your-account-key>;EndpointSuffix=core.windows.net",
        "AccountName=demo;AccountKey=Cxz4E5FHLWIwYH6dPC9OsnMOLJ8RUk5N3s+lyM3KdRs=",
        "AccountName=demo;AccountKey=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx==",
    ],
};

/// Reports the key itself, not the `AccountKey=` label.
fn azure_key(c: &Candidate<'_>) -> Option<Range<usize>> {
    use base64::Engine as _;
    let start = c.start + "AccountKey=".len();
    let key = c.text.get(start..c.end)?;
    if c.after()
        .is_some_and(|x| x.is_ascii_alphanumeric() || matches!(x, '+' | '/' | '='))
    {
        return None;
    }
    let decoded = token::B64.decode(key).ok()?;
    (decoded.len() == 64 && entropy(key) >= MIN_ENTROPY).then_some(start..c.end)
}

// ---------------------------------------------------------------- Twilio

pub const TWILIO_API_KEY: Detector = Detector {
    id: "TWILIO_API_KEY",
    category: Category::Secret,
    description: "Twilio API key SID (SK + 32 hex digits)",
    pattern: r"SK[0-9a-fA-F]{32}",
    dfa_pattern: None,
    anchors: &["SK"],
    context: &[],
    validator: twilio_key,
    validator_name: "SK + 32 hex digits, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[TWILIO_API_KEY]",
    regulations: &[],
    priority: 85,
    examples: &["TWILIO_API_KEY=SK60337a357aa26a1c0a0d68c911c03124"],
    near_misses: &[
        "account sid AC0357280f3c59de9edfef0ae8783b1782",
        "key SKc6d26453740c19cbeff803197c4b8fe",
        "key SK1176f73325e63d1c54b6ed2f565b60dg",
    ],
};

fn twilio_key(c: &Candidate<'_>) -> Option<Range<usize>> {
    token_span(c, ascii_alnum)
}

// ---------------------------------------------------------------- SendGrid

pub const SENDGRID_API_KEY: Detector = Detector {
    id: "SENDGRID_API_KEY",
    category: Category::Secret,
    description: "SendGrid API key (SG.<22>.<43>)",
    pattern: r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}",
    dfa_pattern: None,
    anchors: &["SG."],
    context: &[],
    validator: sendgrid_key,
    validator_name: "SG. + 22 + . + 43 characters, entropy >= 3.0",
    normaliser: verbatim,
    placeholder: "[SENDGRID_API_KEY]",
    regulations: &[],
    priority: 85,
    examples: &[
        "SENDGRID_API_KEY=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",
    ],
    near_misses: &[
        "key SG.M6iYvtkR14MLYuEZ7UhJtJ.WQU106s98B9JfOSEUVSWaTclD4lQf60VtkVGmVNNEB",
        "key SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "Region SG.akAx6mPxrvJ3zZ2By2LENqjVkV7e96Lu05ugpP1e72eefwGG33faNGpPF6G5PNYMGF",
    ],
};

fn sendgrid_key(c: &Candidate<'_>) -> Option<Range<usize>> {
    token_span(c, |x| {
        x.is_ascii_alphanumeric() || matches!(x, '_' | '-' | '.')
    })
}

// ---------------------------------------------------------------- URLs with passwords

/// Schemes whose URLs are database connection strings.
const DB_SCHEMES: &[&str] = &[
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongodb",
    "mongodb+srv",
    "redis",
    "rediss",
    "mssql",
    "sqlserver",
    "oracle",
    "cockroachdb",
    "clickhouse",
    "couchdb",
    "neo4j",
    "neo4j+s",
];

const URL_USERINFO: &str = concat!(
    r"(?:jdbc:)?[A-Za-z][A-Za-z0-9+.\-]*://",
    r#"[^\s:/?#@"'<>]*:[^\s/?#@"']*@[A-Za-z0-9.\-\[\]:]+"#,
);

pub const DATABASE_URL_PASSWORD: Detector = Detector {
    id: "DATABASE_URL_PASSWORD",
    category: Category::Secret,
    description: "Database connection URL with a password (postgres, mysql, mongodb, redis, ...)",
    pattern: URL_USERINFO,
    dfa_pattern: None,
    anchors: &["://"],
    context: &[],
    validator: database_url,
    validator_name: "database scheme + non-empty, non-placeholder password",
    normaliser: verbatim,
    placeholder: "[DATABASE_URL_PASSWORD]",
    regulations: &[],
    priority: 58,
    examples: &[
        "DATABASE_URL=postgres://app:Wq8zLm3Rt5Vx@db.example.com:5432/prod",
        "REDIS_URL=redis://:Kx9Lp2Vq7Zm4@cache.example.com:6379/0",
        "jdbc:postgresql://etl:Hp4kZ9qT2@10.0.0.12/warehouse",
    ],
    near_misses: &[
        "DATABASE_URL=postgres://app@db.example.com/prod",
        "DATABASE_URL=postgres://app:${DB_PASSWORD}@db.example.com/prod",
        "DATABASE_URL=postgres://app:@db.example.com/prod",
        "mysql://root:****@db.example.com/shop",
        "https://deploy:Q7v9Lm2xTz@git.example.com/team/app.git",
    ],
};

pub const URL_CREDENTIALS: Detector = Detector {
    id: "URL_CREDENTIALS",
    category: Category::Secret,
    description:
        "URL with a user name and password (scheme://user:password@host), databases excluded",
    pattern: URL_USERINFO,
    dfa_pattern: None,
    anchors: &["://"],
    context: &[],
    validator: url_credentials,
    validator_name: "non-empty user, non-empty non-placeholder password, not a database scheme",
    normaliser: verbatim,
    placeholder: "[URL_CREDENTIALS]",
    regulations: &[],
    priority: 55,
    examples: &[
        "Clone with https://deploy:Q7v9Lm2xTz@git.example.com/team/app.git today.",
        "Proxy set to http://jdoe:N3wP%40ss2024@proxy.example.com:3128 for builds.",
    ],
    near_misses: &[
        "See https://user@example.com/profile for details.",
        "Clone https://deploy:@git.example.com/repo.git first.",
        "Use https://deploy:<password>@git.example.com/repo.git here.",
        "Push to git@git.example.com:team/repo.git after review.",
        "DATABASE_URL=postgres://app:Wq8zLm3Rt5Vx@db.example.com:5432/prod",
    ],
};

/// Splits a URL-with-userinfo match into (scheme, user, password), or
/// `None` when it is glued to a longer word.
fn userinfo<'a>(c: &Candidate<'a>) -> Option<(String, &'a str, &'a str)> {
    if c.before()
        .is_some_and(|x| is_word(x) || matches!(x, '+' | '.' | '-'))
    {
        return None;
    }
    let v = c.value();
    let (scheme, rest) = v.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let scheme = scheme
        .strip_prefix("jdbc:")
        .map_or(scheme.clone(), str::to_owned);
    let (info, _host) = rest.split_once('@')?;
    let (user, password) = info.split_once(':')?;
    if is_placeholder(password) {
        return None;
    }
    Some((scheme, user, password))
}

fn database_url(c: &Candidate<'_>) -> Option<Range<usize>> {
    let (scheme, _, _) = userinfo(c)?;
    DB_SCHEMES.contains(&scheme.as_str()).then(|| c.range())
}

fn url_credentials(c: &Candidate<'_>) -> Option<Range<usize>> {
    let (scheme, user, _) = userinfo(c)?;
    (!DB_SCHEMES.contains(&scheme.as_str()) && !user.is_empty()).then(|| c.range())
}

// ---------------------------------------------------------------- generic

pub const GENERIC_SECRET: Detector = Detector {
    id: "GENERIC_SECRET",
    category: Category::Secret,
    description: "A literal assigned to a secret-named key (password, token, api_key, ...)",
    pattern: concat!(
        r"[A-Za-z0-9_.\-]*(?i-u:password|passwd|pwd|secret(?:[_\-]?key)?|token|api[_\-]?key|apikey",
        r"|access[_\-]?key|auth[_\-]?key|private[_\-]?key)",
        r#"["']?\s*(?::=|=>|=|:)\s*"#,
        r#"(?:"[^"\n]*"|'[^'\n]*'|`[^`\n]*`|[^\s,;"'`]+)"#,
    ),
    // Shortest pieces every key name contains: fewer, shorter literals
    // keep the anchor search at several GB/s.
    dfa_pattern: None,
    anchors: &[
        "passw", "pwd", "secret", "token", "api", "access", "auth", "private",
    ],
    // The key name in the pattern is the context.
    context: &[],
    validator: generic_secret,
    validator_name: ">= 8 characters, entropy >= 3.0, not a placeholder, identifier, call or index",
    normaliser: verbatim,
    placeholder: "[GENERIC_SECRET]",
    regulations: &[],
    priority: 10,
    examples: &[
        "password = \"Xq7#pL2v!Rz9\"",
        "DB_PASSWORD=Vt3$kq9ZLm2w",
        "{\"api_key\": \"c7f1e2a9b8d34f6e9a0b1c2d3e4f5a6b\"}",
        "authToken := \"Lm3Pq8Zr5Tx1Wv7Y\"",
    ],
    near_misses: &[
        "password = \"changeme\"",
        "token = ${TOKEN}",
        "password = os.environ[\"DB_PASSWORD\"]",
        "password_min_length = 12",
        "token: settings.API_TOKEN",
        "secret: aaaaaaaaaaaaaaaa",
    ],
};

/// Reports the value, which is the secret; the key name only says so.
fn generic_secret(c: &Candidate<'_>) -> Option<Range<usize>> {
    if c.before().is_some_and(|x| x.is_ascii_alphanumeric()) {
        return None;
    }
    let v = c.value();
    let b = v.as_bytes();
    // Key name, optional closing quote, spaces, operator, spaces: none of
    // these bytes can start the value, so the value begins after them.
    let mut i = b
        .iter()
        .position(|&x| !(x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-')))?;
    if matches!(b[i], b'"' | b'\'') {
        i += 1;
    }
    let skip_space = |i: usize| v.get(i..).map_or(i, |t| i + t.len() - t.trim_start().len());
    i = skip_space(i);
    i += match b.get(i..i + 2) {
        Some(b":=") | Some(b"=>") => 2,
        _ => 1,
    };
    i = skip_space(i);
    let (vs, ve) = match b.get(i) {
        Some(q @ (b'"' | b'\'' | b'`')) if b.len() >= i + 2 && b[b.len() - 1] == *q => {
            (i + 1, b.len() - 1)
        }
        _ => (i, b.len()),
    };
    let value = v.get(vs..ve)?;
    if value.chars().count() < 8 || is_placeholder(value) || entropy(value) < MIN_ENTROPY {
        return None;
    }
    // An identifier or attribute path (`settings.API_TOKEN`), a call or an
    // index (`os.environ["X"]`) is code, not a literal secret.
    if value
        .bytes()
        .all(|x| x.is_ascii_alphabetic() || matches!(x, b'_' | b'.' | b'-'))
        || value.contains(['(', '['])
    {
        return None;
    }
    Some(c.start + vs..c.start + ve)
}
