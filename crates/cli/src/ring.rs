//! `splitbrain ring`: what consistent hashing buys, in numbers. For each
//! virtual-node count: the load spread (most keys on one node over the
//! mean) and the share of keys that move when a node joins or leaves,
//! against plain `hash mod N`.

use splitbrain_core::ring::{measure, modulo_moved_fraction, sample_keys, Ring};
use splitbrain_core::NodeId;

use crate::{bad_input, Failure};

pub const USAGE: &str = "\
usage: splitbrain ring [--nodes N] [--vnodes V1,V2,...] [--keys K] [--key NAME [--replicas R]]

  --nodes N      physical nodes on the ring, 1 to 1000 (default 5)
  --vnodes LIST  virtual nodes per node to compare (default 1,8,64,256)
  --keys K       keys placed, named k0..k{K-1} (default 10000)
  --key NAME     also print NAME's preference list (repeatable)
  --replicas R   preference list length (default 3)";

fn number<T: std::str::FromStr>(flag: &str, value: Option<&String>) -> Result<T, Failure> {
    let text = value.ok_or_else(|| bad_input(format!("{flag} needs a value\n\n{USAGE}")))?;
    text.parse()
        .map_err(|_| bad_input(format!("{flag} `{text}`: expected a positive integer")))
}

pub fn run(args: &[String]) -> Result<u8, Failure> {
    let mut nodes: u16 = 5;
    let mut vnodes: Vec<u32> = vec![1, 8, 64, 256];
    let mut keys: usize = 10_000;
    let mut named: Vec<String> = Vec::new();
    let mut replicas: usize = 3;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--nodes" => nodes = number("--nodes", it.next())?,
            "--keys" => keys = number("--keys", it.next())?,
            "--replicas" => replicas = number("--replicas", it.next())?,
            "--key" => named.push(
                it.next()
                    .cloned()
                    .ok_or_else(|| bad_input(format!("--key needs a value\n\n{USAGE}")))?,
            ),
            "--vnodes" => {
                let text = it
                    .next()
                    .ok_or_else(|| bad_input(format!("--vnodes needs a value\n\n{USAGE}")))?;
                vnodes = text
                    .split(',')
                    .map(|v| {
                        v.trim()
                            .parse::<u32>()
                            .ok()
                            .filter(|v| (1..=4096).contains(v))
                            .ok_or_else(|| {
                                bad_input(format!(
                                    "--vnodes `{text}`: expected numbers from 1 to 4096, \
                                     separated by commas"
                                ))
                            })
                    })
                    .collect::<Result<_, _>>()?;
            }
            "-h" | "--help" => return Err(Failure(USAGE.to_string(), 0)),
            other => return Err(bad_input(format!("unknown option `{other}`\n\n{USAGE}"))),
        }
    }
    if !(1..=1000).contains(&nodes) {
        return Err(bad_input(format!(
            "--nodes {nodes}: must be between 1 and 1000"
        )));
    }
    if keys == 0 || keys > 10_000_000 {
        return Err(bad_input(format!(
            "--keys {keys}: must be between 1 and 10000000"
        )));
    }
    if replicas == 0 {
        return Err(bad_input("--replicas must be at least 1"));
    }
    let sample = sample_keys(keys);
    println!("ring: {nodes} nodes, {keys} keys (k0..k{})", keys - 1);
    println!(
        "{:>7}  {:>8}  {:>17}  {:>18}",
        "vnodes",
        "max/mean",
        format!("join n{nodes} moves"),
        "leave n0 moves"
    );
    for v in &vnodes {
        let row = measure(nodes, *v, &sample);
        println!(
            "{:>7}  {:>8.2}  {:>16.1}%  {:>17.1}%",
            v,
            row.spread,
            row.moved_on_join * 100.0,
            row.moved_on_leave * 100.0
        );
    }
    println!(
        "ideal: a join moves 1/{} = {:.1}%, a leave 1/{nodes} = {:.1}%",
        nodes + 1,
        100.0 / f64::from(nodes + 1),
        100.0 / f64::from(nodes)
    );
    println!(
        "modulo hashing (hash mod N): a join moves {:.1}%, a leave {:.1}%",
        modulo_moved_fraction(nodes, nodes + 1, &sample) * 100.0,
        if nodes > 1 {
            modulo_moved_fraction(nodes, nodes - 1, &sample) * 100.0
        } else {
            100.0
        }
    );
    if !named.is_empty() {
        let ring = Ring::with_nodes(nodes, vnodes[0]);
        for key in &named {
            let list: Vec<String> = ring
                .preference_list(key, replicas)
                .iter()
                .map(NodeId::to_string)
                .collect();
            println!("{key}: replicas {} ({} vnodes)", list.join(", "), vnodes[0]);
        }
    }
    Ok(0)
}
