//! The IPVS core allocates nothing after start-up: with a counting global allocator (this
//! file is its own test binary), checker verdicts move a grouped virtual server with a
//! quorum and a sorry server up and down; each time the model fills one virtual server's
//! table before and after, the diff makes the ops and the codec encodes them and parses
//! them back, and the whole table is filled and diffed too. The thread's allocation count
//! stays at zero.

#![cfg(feature = "lvs")]

use keepalived_rs::config::host::FakeHost;
use keepalived_rs::config::{self, LoadOptions};
use keepalived_rs::ipvs::genl;
use keepalived_rs::ipvs::model::{Model, RsId, Table, VsId};
use keepalived_rs::ipvs::reconcile::{diff, Op, Ops, Scope};
use keepalived_rs::net::nl::msg::Messages;
use keepalived_rs::runtime::heap::{self, Counting};

#[global_allocator]
static HEAP: Counting = Counting;

const CONF: &str = "
virtual_server_group G {
  10.0.0.1-100 80
  fwmark 3
}
virtual_server group G {
  lb_algo wrr
  lb_kind DR
  protocol TCP
  quorum 6
  hysteresis 2
  sorry_server 192.168.9.9 80
  real_server 192.168.0.1 80 {
    weight 2
  }
  real_server 192.168.0.2 80 {
    weight 2
    inhibit_on_failure
  }
  real_server 192.168.0.3 80 {
    weight 2
  }
  real_server 192.168.0.4 80 {
    weight 2
  }
}
virtual_server 10.0.1.1 53 {
  lb_algo rr
  lb_kind NAT
  protocol UDP
  real_server 192.168.1.1 53 {
  }
}
";

fn load() -> Model {
    let dir = std::env::temp_dir().join(format!("ka-ipvs-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("keepalived.conf");
    std::fs::write(&path, CONF).expect("write configuration");
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: None,
        all_config: false,
    };
    let loaded = config::load(&opts, &FakeHost::new());
    let _ = std::fs::remove_dir_all(&dir);
    let c = loaded.config.expect("configuration loads");
    Model::new(&c.lvs).expect("model")
}

#[test]
fn checker_verdicts_reconcile_and_encode_without_allocating() {
    let mut m = load();
    let (s, d) = m.vs_capacity();
    let mut before = Table::with_capacity(s, d);
    let mut after = Table::with_capacity(s, d);
    let (ws, wd) = m.capacity();
    let mut whole = Table::with_capacity(ws, wd);
    let mut whole_after = Table::with_capacity(ws, wd);
    let mut ops = Ops::with_capacity(ws + 2 * wd);
    let mut buf = vec![0u8; 4096];
    m.fill(&mut whole).expect("fits");

    heap::start_counting();
    let mut encoded = 0;
    for round in 0..20u16 {
        let index = round % 4;
        let alive = round % 8 >= 4;
        let id = RsId { vs: VsId(0), index };
        m.fill_vs(VsId(0), &mut before).expect("fits");
        let _ = m.set_alive(id, alive);
        m.fill_vs(VsId(0), &mut after).expect("fits");
        ops.clear();
        diff(&after, &before, Scope::Owned, &mut ops);
        for (seq, op) in ops.iter().enumerate() {
            let n = genl::encode_op(&mut buf, 0x23, seq as u32, op).expect("fits");
            let msg = Messages::new(&buf[..n])
                .next()
                .and_then(Result::ok)
                .expect("a message");
            if let Op::NewDest(k, want) | Op::SetDest(k, want) = op {
                assert_eq!(genl::parse_dest(&msg, k.af()), Ok(*want));
            }
            encoded += 1;
        }
        m.set_weight(id, i64::from(round));
        m.fill(&mut whole_after).expect("fits");
        ops.clear();
        diff(&whole_after, &whole, Scope::DesiredServices, &mut ops);
        std::mem::swap(&mut whole, &mut whole_after);
    }
    let allocations = heap::stop_counting();
    assert!(encoded > 100, "the rounds did something ({encoded} ops)");
    assert_eq!(allocations, 0);
}
