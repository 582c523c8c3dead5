//! The example's runtime dependency: what the server answers with.

pub fn greeting(name: &str) -> String {
    format!("hello from rust, {}", name)
}

/// `{"count":N,"mean":M,"pstdev":S}` for the values (population standard deviation).
pub fn stats_json(values: &[f64]) -> String {
    let n = values.len();
    let (mean, pstdev) = if n == 0 {
        (0.0, 0.0)
    } else {
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        (mean, var.sqrt())
    };
    format!("{{\"count\":{},\"mean\":{},\"pstdev\":{}}}", n, mean, pstdev)
}
