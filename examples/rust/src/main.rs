//! The example's HTTP API: GET / (greeting) and GET /stats?values=1,2,3, on the standard library.
//! `--self-test` serves on a loopback port, asks both routes once, prints the answers and exits,
//! so a container without a network can show that it works.
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

fn respond(path: &str) -> String {
    let (status, body) = match path.split_once('?').map_or((path, ""), |(p, q)| (p, q)) {
        ("/", _) => (200, format!("{{\"message\":\"{}\"}}", greet::greeting("stage lens"))),
        ("/stats", q) => {
            let values: Vec<f64> = q
                .split('&')
                .find_map(|kv| kv.strip_prefix("values="))
                .unwrap_or("")
                .split(',')
                .filter_map(|s| s.parse().ok())
                .collect();
            (200, greet::stats_json(&values))
        }
        _ => (404, String::new()),
    };
    let reason = if status == 200 { "OK" } else { "Not Found" };
    format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        status, reason, body.len(), body
    )
}

fn serve(mut stream: TcpStream) {
    // Read up to the end of the request headers (the request may arrive in pieces).
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let req = String::from_utf8_lossy(&req);
    let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
    let _ = stream.write_all(respond(&path).as_bytes());
}

fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    let req = format!("GET {} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
    s.write_all(req.as_bytes()).expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn main() {
    let self_test = std::env::args().any(|a| a == "--self-test");
    let listener = TcpListener::bind(if self_test { "127.0.0.1:0" } else { "0.0.0.0:8080" }).expect("bind");
    let addr = listener.local_addr().unwrap().to_string();
    if !self_test {
        println!("listening on {}", addr);
        for stream in listener.incoming().flatten() {
            thread::spawn(move || serve(stream));
        }
        return;
    }
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            serve(stream);
        }
    });
    for p in ["/", "/stats?values=2,4,4,4,5,5,7,9"] {
        let res = get(&addr, p);
        let status = res.split_whitespace().nth(1).unwrap_or("?");
        let body = res.split("\r\n\r\n").nth(1).unwrap_or("");
        println!("{} {} {}", p, status, body);
    }
}

#[cfg(test)]
mod tests {
    use super::respond;

    #[test]
    fn routes() {
        httpcheck::expect(&respond("/"), 200, "hello from rust");
        httpcheck::expect(&respond("/stats?values=2,4,4,4,5,5,7,9"), 200, "\"pstdev\":2");
        httpcheck::expect(&respond("/nope"), 404, "");
    }
}
