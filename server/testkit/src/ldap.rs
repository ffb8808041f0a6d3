//! A real OpenLDAP `slapd` (Debian's package) on 127.0.0.1 for directory sign-in: a throw-away
//! database, its own certificate authority, StartTLS on one port and LDAPS on another, the `memberof`
//! overlay, and a seed of people and groups added through the server (so `memberOf` is maintained by
//! slapd itself, as a directory in service would).
//!
//! The server is configured the way careless directories are, so that keydesk's own defences are
//! what the tests see: an unauthenticated bind (a name with an empty password) succeeds
//! (`allow bind_anon_dn`), and a plain connection is accepted without StartTLS.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// The directory's base.
pub const BASE: &str = "dc=corp,dc=example";
/// keydesk's service account.
pub const SERVICE_DN: &str = "cn=keydesk,ou=services,dc=corp,dc=example";
const SERVICE_PASSWORD: &str = "service-account-secret-7f3a";
const ROOT_DN: &str = "cn=admin,dc=corp,dc=example";
const ROOT_PASSWORD: &str = "root-secret-1c9e";
/// Every seeded person's directory password.
pub const PASSWORD: &str = "Directory-pass-42";

/// The seeded people: uid, display name, groups (cn under ou=groups).
pub const PEOPLE: [(&str, &str, &[&str]); 6] = [
    ("erin", "Erin Example", &["staff"]),
    ("frank", "Frank Support", &["staff", "support"]),
    ("grace", "Grace Admin", &["staff", "iam-admins"]),
    ("heidi", "Heidi Elsewhere", &["contractors"]),
    ("zoe", "Zoe NoIam", &["staff"]),
    ("bad name", "Not An IAM Name", &["staff"]),
];

/// The DN of the group `cn`.
pub fn group_dn(cn: &str) -> String {
    format!("cn={cn},ou=groups,{BASE}")
}

/// The DN of the person `uid`.
pub fn person_dn(uid: &str) -> String {
    format!("uid={uid},ou=people,{BASE}")
}

/// A running slapd, stopped when dropped.
pub struct Slapd {
    /// `ldap://127.0.0.1:PORT` (StartTLS offered, not required by the server).
    pub ldap_url: String,
    /// `ldaps://127.0.0.1:PORT`.
    pub ldaps_url: String,
    /// The PEM of the certificate authority that signed the server's certificate.
    pub ca_file: PathBuf,
    /// The service account's password, in a file.
    pub password_file: PathBuf,
    /// Another authority's certificate, which did not sign the server's.
    pub other_ca_file: PathBuf,
    dir: tempfile::TempDir,
    _child: tokio::process::Child,
}

fn new_ca() -> (rcgen::CertifiedIssuer<'static, rcgen::KeyPair>, String) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, "keydesk test directory CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let issuer = rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap();
    let pem = issuer.pem();
    (issuer, pem)
}

async fn free_port() -> u16 {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port()
}

impl Slapd {
    /// Start slapd and seed it. `None` (the test is skipped, with a note) when slapd is not installed
    /// and `KEYDESK_TEST_REQUIRE_SLAPD` is unset; `.ci/setup --test` installs it and `.ci/test` sets it.
    pub async fn start() -> Option<Slapd> {
        let bin = std::env::var("KEYDESK_TEST_SLAPD").unwrap_or_else(|_| "/usr/sbin/slapd".into());
        if !std::path::Path::new(&bin).exists() {
            assert!(std::env::var_os("KEYDESK_TEST_REQUIRE_SLAPD").is_none(), "slapd is required but {bin} does not exist");
            eprintln!("note: directory test skipped ({bin} is not installed; .ci/setup --test installs it)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        let (ca, ca_pem) = new_ca();
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "127.0.0.1");
        let cert = params.signed_by(&key, &ca).unwrap();
        std::fs::write(path("ca.pem"), &ca_pem).unwrap();
        std::fs::write(path("other-ca.pem"), new_ca().1).unwrap();
        std::fs::write(path("cert.pem"), cert.pem()).unwrap();
        std::fs::write(path("key.pem"), key.serialize_pem()).unwrap();
        std::fs::write(path("service-password"), format!("{SERVICE_PASSWORD}\n")).unwrap();
        std::fs::create_dir(path("db")).unwrap();
        let d = dir.path().display();
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             moduleload memberof\n\
             pidfile {d}/slapd.pid\n\
             TLSCertificateFile {d}/cert.pem\n\
             TLSCertificateKeyFile {d}/key.pem\n\
             allow bind_anon_dn\n\
             database mdb\n\
             suffix \"{BASE}\"\n\
             rootdn \"{ROOT_DN}\"\n\
             rootpw {ROOT_PASSWORD}\n\
             directory {d}/db\n\
             maxsize 10485760\n\
             overlay memberof\n\
             access to attrs=userPassword by anonymous auth by * none\n\
             access to * by users read by * none\n"
        );
        std::fs::write(path("slapd.conf"), conf).unwrap();
        // The ports are free when chosen and taken by slapd a moment later; another process may take
        // one in between. slapd then exits at once ("address in use"), and new ports are chosen.
        for _ in 0..5 {
            let (plain, tls) = (free_port().await, free_port().await);
            let urls = format!("ldap://127.0.0.1:{plain}/ ldaps://127.0.0.1:{tls}/");
            let mut child = tokio::process::Command::new(&bin)
                .args(["-f", &path("slapd.conf").to_string_lossy(), "-h", &urls, "-d", "0"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            let mut up = false;
            for _ in 0..200 {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if tokio::net::TcpStream::connect(("127.0.0.1", plain)).await.is_ok()
                    && tokio::net::TcpStream::connect(("127.0.0.1", tls)).await.is_ok()
                {
                    up = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if !up {
                let _ = child.kill().await;
                continue;
            }
            let slapd = Slapd {
                ldap_url: format!("ldap://127.0.0.1:{plain}"),
                ldaps_url: format!("ldaps://127.0.0.1:{tls}"),
                ca_file: path("ca.pem"),
                password_file: path("service-password"),
                other_ca_file: path("other-ca.pem"),
                dir,
                _child: child,
            };
            slapd.seed().await;
            return Some(slapd);
        }
        panic!("slapd did not start (tried five pairs of ports)");
    }

    /// The seed: the tree, keydesk's service account, the people and their groups.
    async fn seed(&self) {
        let (conn, mut ldap) = ldap3::LdapConnAsync::new(&self.ldap_url).await.unwrap();
        ldap3::drive!(conn);
        ldap.simple_bind(ROOT_DN, ROOT_PASSWORD).await.unwrap().success().unwrap();
        let add = |dn: String, attrs: Vec<(&'static str, Vec<String>)>| {
            let mut ldap = ldap.clone();
            async move {
                let attrs: Vec<(String, std::collections::HashSet<String>)> =
                    attrs.into_iter().map(|(k, v)| (k.to_owned(), v.into_iter().collect())).collect();
                ldap.add(&dn, attrs).await.unwrap().success().unwrap_or_else(|e| panic!("adding {dn}: {e}"));
            }
        };
        let s = |v: &str| vec![v.to_owned()];
        add(BASE.into(), vec![("objectClass", vec!["dcObject".into(), "organization".into()]), ("o", s("corp")), ("dc", s("corp"))]).await;
        for ou in ["people", "groups", "services"] {
            add(format!("ou={ou},{BASE}"), vec![("objectClass", s("organizationalUnit")), ("ou", s(ou))]).await;
        }
        add(
            SERVICE_DN.into(),
            vec![
                ("objectClass", vec!["person".into(), "simpleSecurityObject".into()]),
                ("cn", s("keydesk")),
                ("sn", s("keydesk")),
                ("userPassword", s(SERVICE_PASSWORD)),
            ],
        )
        .await;
        let mut groups: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
        for (uid, name, member_of) in PEOPLE {
            add(
                person_dn(uid),
                vec![
                    ("objectClass", s("inetOrgPerson")),
                    ("uid", s(uid)),
                    ("cn", s(name)),
                    ("sn", s(name.rsplit(' ').next().unwrap())),
                    ("userPassword", s(PASSWORD)),
                ],
            )
            .await;
            for g in member_of {
                groups.entry(g).or_default().push(person_dn(uid));
            }
        }
        for (cn, members) in groups {
            add(group_dn(cn), vec![("objectClass", s("groupOfNames")), ("cn", s(cn)), ("member", members)]).await;
        }
        let _ = ldap.unbind().await;
    }

    /// keydesk's arguments for this directory at `url` (one of [`Slapd::ldap_url`], [`Slapd::ldaps_url`]).
    pub fn args_for(&self, url: &str) -> Vec<String> {
        let map = format!(
            "employee={};helpdesk={};admin={}",
            group_dn("staff"),
            group_dn("support"),
            group_dn("iam-admins").to_uppercase().replace(',', ", ")
        );
        [
            "--ldap-url",
            url,
            "--ldap-ca-file",
            &self.ca_file.to_string_lossy(),
            "--ldap-bind-dn",
            SERVICE_DN,
            "--ldap-bind-password-file",
            &self.password_file.to_string_lossy(),
            "--ldap-base-dn",
            &format!("ou=people,{BASE}"),
            "--ldap-role-map",
            &map,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// keydesk's arguments for this directory over StartTLS.
    pub fn args(&self) -> Vec<String> {
        self.args_for(&self.ldap_url)
    }

    /// A file in the server's scratch directory (for a test's own settings files).
    pub fn scratch(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }
}
