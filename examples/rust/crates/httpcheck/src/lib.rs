//! The example's test-only dependency: checks a raw HTTP response.

/// Panics unless `response` has the status and a body containing `needle`.
pub fn expect(response: &str, status: u16, needle: &str) {
    let line = response.lines().next().unwrap_or("");
    assert!(line.contains(&format!(" {} ", status)), "status line {:?}, want {}", line, status);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    assert!(body.contains(needle), "body {:?} lacks {:?}", body, needle);
}
