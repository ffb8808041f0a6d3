//! What the one-time secret view hands out: the console's CSV files and ready-to-paste snippets.
//! Built in the browser from the create action's response; never stored, never sent anywhere else.
//!
//! CSV cells: RFC 4180 quoting (a cell with `,`, `"`, CR or LF is quoted, quotes doubled). A secret may
//! start with `+` or `/`; a spreadsheet treats a leading `=`, `+`, `-` or `@` as a formula. keydesk does
//! NOT prefix such cells with `'` (OWASP's CSV-injection advice) in credential files, because that would
//! change the secret: `+abc…` is a valid secret and must reach the AWS CLI byte for byte. Instead the
//! cell is quoted, and the view tells people to import the file as text or use the copy buttons.
//! Report exports (names, ids, dates) do neutralise formula cells: see [`csv_report_cell`].

use super::credentials::{AccessKeyId, CreatedAccessKey};
use super::secret::OneTimeSecret;

/// One CSV cell, quoted when needed (RFC 4180).
pub fn csv_cell(v: &str) -> String {
    if v.contains([',', '"', '\r', '\n']) || v.starts_with(['=', '+', '-', '@']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

/// A cell of an exported report (never a secret): formula-like values get a leading `'` so a
/// spreadsheet shows them as text (OWASP CSV injection), then RFC 4180 quoting.
pub fn csv_report_cell(v: &str) -> String {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_cell(&format!("'{v}"))
    } else {
        csv_cell(v)
    }
}

/// One CSV line of report cells (see [`csv_report_cell`]), without the line break.
pub fn csv_report_cell_row(cells: &[String]) -> String {
    cells.iter().map(|c| csv_report_cell(c)).collect::<Vec<_>>().join(",")
}

/// IAM's credential report made safe to open in a spreadsheet: IAM writes plain comma-separated cells
/// (no quoting), and an IAM user name may begin with `=`, `+`, `-` or `@` — a formula. Each cell goes
/// through [`csv_report_cell`]; every other byte of the report is kept.
pub fn neutralize_report(csv: &str) -> String {
    let mut out = String::with_capacity(csv.len() + 16);
    for line in csv.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix("\r\n").or_else(|| line.strip_suffix('\n')) {
            Some(b) => (b, &line[b.len()..]),
            None => (line, ""),
        };
        out.push_str(&body.split(',').map(csv_report_cell).collect::<Vec<_>>().join(","));
        out.push_str(end);
    }
    out
}

/// The console's access-key file: `<user>_accessKeys.csv` with header `Access key ID,Secret access key`.
pub fn access_key_csv(user: &str, key: &CreatedAccessKey) -> (String, String) {
    access_key_csv_of(user, key.key.id.as_str(), key.secret.expose())
}

/// The same file from its parts (the no-JavaScript one-time page posts them back for the download).
pub fn access_key_csv_of(user: &str, key_id: &str, secret: &str) -> (String, String) {
    let body = format!("Access key ID,Secret access key\r\n{},{}\r\n", csv_cell(key_id), csv_cell(secret));
    (format!("{user}_accessKeys.csv"), body)
}

/// The console's Git-credentials file: header `User Name,Password`.
pub fn git_credentials_csv(user: &str, service_user_name: &str, password: &OneTimeSecret) -> (String, String) {
    let body = format!("User Name,Password\r\n{},{}\r\n", csv_cell(service_user_name), csv_cell(password.expose()));
    (format!("{user}_codecommit_credentials.csv"), body)
}

/// `aws configure` answers, a `~/.aws/credentials` profile and `export` lines.
pub struct Snippets {
    pub aws_configure: String,
    pub credentials_file: String,
    pub exports: String,
}

/// A profile name is letters, digits, `-` and `_`; anything else becomes `-`.
pub fn profile_name(raw: &str) -> String {
    let p: String = raw.trim().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    if p.is_empty() {
        "default".to_owned()
    } else {
        p
    }
}

pub fn snippets(id: &AccessKeyId, secret: &OneTimeSecret, profile: &str, region: &str) -> Snippets {
    let profile = profile_name(profile);
    let (id, secret) = (id.as_str(), secret.expose());
    let flag = if profile == "default" { String::new() } else { format!(" --profile {profile}") };
    Snippets {
        aws_configure: format!(
            "$ aws configure{flag}\nAWS Access Key ID [None]: {id}\nAWS Secret Access Key [None]: {secret}\nDefault region name [None]: {region}\nDefault output format [None]: json"
        ),
        credentials_file: format!("[{profile}]\naws_access_key_id = {id}\naws_secret_access_key = {secret}"),
        // Single quotes: a secret may contain '+' and '/', never a single quote.
        exports: format!("export AWS_ACCESS_KEY_ID='{id}'\nexport AWS_SECRET_ACCESS_KEY='{secret}'\nexport AWS_DEFAULT_REGION='{region}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::credentials::{AccessKeySummary, Status};

    fn key(secret: &str) -> CreatedAccessKey {
        CreatedAccessKey {
            key: AccessKeySummary {
                id: AccessKeyId::parse("AKIAIOSFODNN7EXAMPLE").unwrap(),
                status: Status::Active,
                created_at: time::OffsetDateTime::UNIX_EPOCH,
            },
            secret: OneTimeSecret::new(secret),
        }
    }

    #[test]
    fn access_key_csv_is_the_consoles_file() {
        let (name, body) = access_key_csv("alice", &key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        assert_eq!(name, "alice_accessKeys.csv");
        assert_eq!(body, "Access key ID,Secret access key\r\nAKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\r\n");
    }

    #[test]
    fn secrets_that_look_like_formulas_are_quoted_not_altered() {
        let (_, body) = access_key_csv("alice", &key("+JalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE/"));
        assert!(body.ends_with(",\"+JalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE/\"\r\n"), "{body}");
        let (_, body) = access_key_csv("alice", &key("/JalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        assert!(body.contains(",/JalrXUtnFEMI"), "a leading / is not a formula: {body}");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=1+1"), "\"=1+1\"");
    }

    #[test]
    fn report_cells_neutralise_formulas() {
        for f in ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)"] {
            let c = csv_report_cell(f);
            assert!(c.starts_with("\"'") || c.starts_with('\''), "{f} -> {c}");
        }
        assert_eq!(csv_report_cell("alice"), "alice");
    }

    #[test]
    fn the_raw_report_keeps_its_bytes_but_not_its_formulas() {
        let report = "user,arn,password_enabled\n<root_account>,arn:aws:iam::1:root,not_supported\n=cmd,arn:aws:iam::1:user/=cmd,false\n@A1,arn:aws:iam::1:user/@A1,true\n";
        assert_eq!(
            neutralize_report(report),
            "user,arn,password_enabled\n<root_account>,arn:aws:iam::1:root,not_supported\n'=cmd,arn:aws:iam::1:user/=cmd,false\n'@A1,arn:aws:iam::1:user/@A1,true\n"
        );
        let crlf = "a,b\r\n-2x,c";
        assert_eq!(neutralize_report(crlf), "a,b\r\n'-2x,c");
    }

    #[test]
    fn git_csv_header() {
        let (name, body) = git_credentials_csv("alice", "alice-at-123456789012", &OneTimeSecret::new("p=w"));
        assert_eq!(name, "alice_codecommit_credentials.csv");
        assert_eq!(body, "User Name,Password\r\nalice-at-123456789012,p=w\r\n");
    }

    #[test]
    fn snippets_are_ready_to_paste() {
        let k = key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let s = snippets(&k.key.id, &k.secret, "work laptop", "eu-west-1");
        assert!(s.aws_configure.starts_with("$ aws configure --profile work-laptop\n"));
        assert!(s.aws_configure.contains("AWS Secret Access Key [None]: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        assert_eq!(
            s.credentials_file,
            "[work-laptop]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        );
        assert!(s.exports.contains("export AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'"));
        assert_eq!(snippets(&k.key.id, &k.secret, "", "us-east-1").credentials_file.lines().next(), Some("[default]"));
    }

    proptest::proptest! {
        #[test]
        fn csv_round_trips_any_cell(v in ".{0,60}") {
            let c = csv_cell(&v);
            let parsed = if let Some(inner) = c.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                inner.replace("\"\"", "\"")
            } else {
                c.clone()
            };
            proptest::prop_assert_eq!(parsed, v);
        }
    }
}
