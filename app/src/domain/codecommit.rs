//! What the CodeCommit sections hand out besides the credentials: clone URLs and the `~/.ssh/config`
//! block. Pure text, built in the browser as the person types a region or repository name.

/// An AWS region name as CodeCommit endpoints use it: `us-east-1`, `eu-central-1`, `us-gov-west-1`.
pub fn region_ok(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

/// A CodeCommit repository name: 1 to 100 letters, digits, `.`, `_` and `-`, not ending in `.git`.
pub fn repository_ok(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !name.to_ascii_lowercase().ends_with(".git")
}

/// The name to put in a command: the person's input when valid, else a placeholder that reads as one.
fn or_placeholder<'a>(value: &'a str, ok: fn(&str) -> bool, placeholder: &'a str) -> &'a str {
    let v = value.trim();
    if ok(v) {
        v
    } else {
        placeholder
    }
}

/// `git clone https://git-codecommit.<region>.amazonaws.com/v1/repos/<repo>`
pub fn https_clone(region: &str, repo: &str) -> String {
    format!(
        "git clone https://git-codecommit.{}.amazonaws.com/v1/repos/{}",
        or_placeholder(region, region_ok, "<region>"),
        or_placeholder(repo, repository_ok, "<repository>")
    )
}

/// `git clone ssh://git-codecommit.<region>.amazonaws.com/v1/repos/<repo>`
pub fn ssh_clone(region: &str, repo: &str) -> String {
    format!(
        "git clone ssh://git-codecommit.{}.amazonaws.com/v1/repos/{}",
        or_placeholder(region, region_ok, "<region>"),
        or_placeholder(repo, repository_ok, "<repository>")
    )
}

/// The `~/.ssh/config` block CodeCommit's documentation gives: the SSH key id is the SSH user name.
pub fn ssh_config(key_id: &str, identity_file: &str) -> String {
    let cleaned: String = identity_file.trim().chars().filter(|c| !c.is_control() && *c != '"').collect();
    let file = match cleaned.as_str() {
        "" => "~/.ssh/id_rsa".to_owned(),
        f if f.contains(' ') => format!("\"{f}\""),
        f => f.to_owned(),
    };
    format!("Host git-codecommit.*.amazonaws.com\n  User {key_id}\n  IdentityFile {file}")
}

/// How to keep HTTPS Git credentials out of shell history and plain files, one line per platform.
pub const CREDENTIAL_HELPERS: &[(&str, &str)] = &[
    ("macOS", "git config --global credential.helper osxkeychain"),
    ("Windows", "git config --global credential.helper manager"),
    ("Linux", "git config --global credential.helper libsecret   # or: cache --timeout=3600"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in ["us-east-1", "eu-central-1", "us-gov-west-1", "ap-southeast-2", "cn-north-1"] {
            assert!(region_ok(ok), "{ok}");
        }
        for bad in ["", "us-east", "US-EAST-1", "us-east-1; rm -rf /", "us--1", "useast1", "u-east-1"] {
            assert!(!region_ok(bad), "{bad}");
        }
    }

    #[test]
    fn repositories() {
        assert!(repository_ok("MyDemoRepo"));
        assert!(repository_ok("team.app_v2-x"));
        assert!(!repository_ok(""));
        assert!(!repository_ok("repo.git"));
        assert!(!repository_ok("a b"));
        assert!(!repository_ok(&"a".repeat(101)));
    }

    #[test]
    fn clone_commands_use_valid_input_or_placeholders() {
        assert_eq!(https_clone("eu-west-1", "MyDemoRepo"), "git clone https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/MyDemoRepo");
        assert_eq!(ssh_clone(" us-east-2 ", "x"), "git clone ssh://git-codecommit.us-east-2.amazonaws.com/v1/repos/x");
        assert_eq!(https_clone("evil;rm", "$(id)"), "git clone https://git-codecommit.<region>.amazonaws.com/v1/repos/<repository>");
    }

    #[test]
    fn ssh_config_block() {
        assert_eq!(
            ssh_config("APKAEIBAERJR2EXAMPLE", "~/.ssh/codecommit_rsa"),
            "Host git-codecommit.*.amazonaws.com\n  User APKAEIBAERJR2EXAMPLE\n  IdentityFile ~/.ssh/codecommit_rsa"
        );
        assert!(ssh_config("APKA1", "").ends_with("IdentityFile ~/.ssh/id_rsa"));
        assert!(ssh_config("APKA1", "C:\\My Keys\\id_rsa").ends_with("IdentityFile \"C:\\My Keys\\id_rsa\""));
    }
}
