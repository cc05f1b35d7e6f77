//! `keepalived-rs --genhash` (and the `genhash` name) prints the MD5 of a page's body as
//! Debian's `keepalived --genhash` does, against a small web server in a network namespace
//! the test makes; a refused connection says so and exits 0 as genhash does.

#![cfg(feature = "lvs")]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

use common::{in_netns, system_ready, Lan};

fn genhash(ns: &str, bin: &str, args: &[&str]) -> (String, i32) {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, bin])
        .args(args)
        .output()
        .expect("run genhash");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn the_digest_is_keepalived_s() {
    if !system_ready(&["ip", "keepalived"]) {
        return;
    }
    let lan = Lan::new("gh", 1, 105);
    let ns = lan.hosts[0].clone();
    let listener = in_netns(&ns, || {
        TcpListener::bind("10.105.0.1:8080").expect("listen")
    });
    let server = std::thread::spawn(move || {
        for _ in 0..3 {
            let Ok((mut c, _)) = listener.accept() else {
                return;
            };
            let mut req = [0u8; 1024];
            let _ = c.read(&mut req);
            let _ = c.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n");
        }
    });
    let ours = env!("CARGO_BIN_EXE_keepalived-rs");
    let args = ["--genhash", "-s", "10.105.0.1", "-p", "8080", "-u", "/"];
    let (theirs, _) = genhash(&ns, "/usr/sbin/keepalived", &args);
    let (mine, code) = genhash(&ns, ours, &args);
    assert_eq!(code, 0);
    assert_eq!(
        mine, "6f5902ac237024bdd0c176cb93063dc4\n",
        "md5 of 'hello world\\n'"
    );
    assert_eq!(mine, theirs, "keepalived --genhash printed {theirs:?}");
    // The `genhash` name.
    let dir = common::scratch_dir("genhash");
    let link = dir.join("genhash");
    std::os::unix::fs::symlink(ours, &link).expect("symlink");
    let (named, _) = genhash(&ns, &link.to_string_lossy(), &args[1..]);
    assert_eq!(named, mine);
    let _ = server.join();
    // Nobody listening: genhash says so and exits 0.
    let (refused, code) = genhash(
        &ns,
        ours,
        &["-T", "-s", "10.105.0.1", "-p", "8081", "-u", "/"],
    );
    assert_eq!((refused.as_str(), code), ("Connection failed\n", 0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `-S`: the digest of a page served over HTTPS (`openssl s_server -WWW` with a
/// certificate the test makes) is Debian's genhash's.
#[cfg(feature = "tls")]
#[test]
fn the_https_digest_is_genhash_s() {
    if !system_ready(&["ip", "openssl", "genhash"]) {
        return;
    }
    let lan = Lan::new("ghs", 1, 106);
    let ns = lan.hosts[0].clone();
    let dir = common::scratch_dir("genhash-tls");
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-subj", "/CN=web", "-days", "2"])
        .args(["-keyout", "web.key", "-out", "web.pem"])
        .current_dir(&dir)
        .output()
        .expect("openssl req");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.join("page"), "hello world\n").expect("page");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let server = Kill(
        Command::new("ip")
            .args([
                "netns", "exec", &ns, "openssl", "s_server", "-quiet", "-WWW",
            ])
            .args([
                "-accept",
                "10.106.0.1:8443",
                "-cert",
                "web.pem",
                "-key",
                "web.key",
            ])
            .current_dir(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openssl s_server"),
    );
    let up = common::wait_until(5.0, || {
        in_netns(&ns, || {
            std::net::TcpStream::connect("10.106.0.1:8443").is_ok()
        })
    });
    assert!(up, "s_server did not start");
    let args = ["-S", "-s", "10.106.0.1", "-p", "8443", "-u", "/page"];
    let (theirs, _) = genhash(&ns, "/usr/bin/genhash", &args);
    let ours = env!("CARGO_BIN_EXE_keepalived-rs");
    let mut mine_args = vec!["--genhash"];
    mine_args.extend_from_slice(&args);
    let (mine, code) = genhash(&ns, ours, &mine_args);
    assert_eq!(code, 0);
    assert_eq!(
        mine, "6f5902ac237024bdd0c176cb93063dc4\n",
        "md5 of 'hello world\\n'"
    );
    assert_eq!(mine, theirs, "genhash -S printed {theirs:?}");
    // With SNI (-I, the -V name) the answer is the same.
    let mut sni = mine_args.clone();
    sni.extend_from_slice(&["-I", "-V", "web"]);
    assert_eq!(genhash(&ns, ours, &sni).0, mine);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
