//! The machine as the configuration sees it: interfaces, users and groups, files.
//!
//! Users and groups come from /etc/passwd and /etc/group read directly: a static musl
//! binary has no NSS.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CString;
use std::fs;
use std::io::Read;
use std::net::{IpAddr, ToSocketAddrs};
use std::os::unix::fs::MetadataExt;

use crate::config::host::{FileMeta, Host, User};

/// The real machine, with the account files at their usual places.
pub struct RealHost {
    pub passwd: String,
    pub group: String,
    /// Interface lookups already made: a configuration names the same few interfaces many
    /// times, and each lookup costs the kernel a socket.
    interfaces: RefCell<HashMap<String, bool>>,
}

impl Default for RealHost {
    fn default() -> RealHost {
        RealHost {
            passwd: "/etc/passwd".into(),
            group: "/etc/group".into(),
            interfaces: RefCell::default(),
        }
    }
}

/// Field `idx` of the colon-separated entry called `name` in an account file.
fn account_field(file: &str, name: &str, idx: usize) -> Option<String> {
    let text = fs::read_to_string(file).ok()?;
    text.lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&name))
        .and_then(|f| f.get(idx).map(|s| s.to_string()))
}

fn meta(m: fs::Metadata) -> FileMeta {
    FileMeta {
        uid: m.uid(),
        gid: m.gid(),
        mode: m.mode(),
        is_dir: m.is_dir(),
        is_file: m.is_file(),
        is_symlink: m.file_type().is_symlink(),
    }
}

impl Host for RealHost {
    fn interface_exists(&self, name: &str) -> bool {
        if let Some(&known) = self.interfaces.borrow().get(name) {
            return known;
        }
        let exists = CString::new(name).is_ok_and(|c| {
            // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
            unsafe { libc::if_nametoindex(c.as_ptr()) != 0 }
        });
        self.interfaces
            .borrow_mut()
            .insert(name.to_string(), exists);
        exists
    }

    fn matching_vmac(&self, parent: &str, mac: [u8; 6]) -> Option<String> {
        use crate::net::nl::{link::MACVLAN_MODE_PRIVATE, Command, LinkKind};
        let c = CString::new(parent).ok()?;
        // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
        let parent = unsafe { libc::if_nametoindex(c.as_ptr()) };
        if parent == 0 {
            return None;
        }
        let mut found = None;
        Command::open()
            .ok()?
            .dump_links(|l| {
                if found.is_none()
                    && l.parent == Some(parent)
                    && l.kind == LinkKind::Macvlan(Some(MACVLAN_MODE_PRIVATE))
                    && l.hw_addr.as_bytes() == mac
                {
                    found = Some(l.name.as_str().to_string());
                }
            })
            .ok()?;
        found
    }

    fn hostname(&self) -> String {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
        if rc != 0 {
            return String::new();
        }
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    }

    fn user(&self, name: &str) -> Option<User> {
        let uid = account_field(&self.passwd, name, 2)?.parse().ok()?;
        let gid = account_field(&self.passwd, name, 3)?.parse().ok()?;
        Some(User { uid, gid })
    }

    fn group(&self, name: &str) -> Option<u32> {
        account_field(&self.group, name, 2)?.parse().ok()
    }

    fn stat(&self, path: &str) -> Option<FileMeta> {
        fs::metadata(path).ok().map(meta)
    }

    fn lstat(&self, path: &str) -> Option<FileMeta> {
        fs::symlink_metadata(path).ok().map(meta)
    }

    fn realpath(&self, path: &str) -> Option<String> {
        fs::canonicalize(path)
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    }

    fn path_env(&self) -> String {
        std::env::var("PATH").unwrap_or_else(|_| {
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()
        })
    }

    fn file_head(&self, path: &str, n: usize) -> Option<Vec<u8>> {
        let mut head = Vec::with_capacity(n);
        fs::File::open(path)
            .ok()?
            .take(n as u64)
            .read_to_end(&mut head)
            .ok()?;
        Some(head)
    }

    fn read_file(&self, path: &str, max: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let f = fs::File::open(path).map_err(|e| e.to_string())?;
        f.take(max as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| e.to_string())?;
        if out.len() > max {
            return Err(format!("larger than {max} bytes"));
        }
        Ok(out)
    }

    fn resolve(&self, name: &str) -> Option<IpAddr> {
        (name, 0).to_socket_addrs().ok()?.next().map(|a| a.ip())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_account_files_directly() {
        let dir = std::env::temp_dir().join(format!("ka-sys-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let passwd = dir.join("passwd");
        let group = dir.join("group");
        fs::write(
            &passwd,
            "root:x:0:0:root:/root:/bin/sh\nkeepalived_script:x:998:997::/:/usr/sbin/nologin\n",
        )
        .unwrap();
        fs::write(&group, "root:x:0:\nadm:x:4:syslog\n").unwrap();
        let h = RealHost {
            passwd: passwd.to_str().unwrap().into(),
            group: group.to_str().unwrap().into(),
            ..RealHost::default()
        };
        assert_eq!(
            h.user("keepalived_script"),
            Some(User { uid: 998, gid: 997 })
        );
        assert_eq!(h.user("nobody"), None);
        assert_eq!(h.group("adm"), Some(4));
        assert!(h.interface_exists("lo"));
        assert!(!h.interface_exists("no-such-if0"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
