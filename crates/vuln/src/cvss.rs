//! CVSS base scores from vector strings.

use crate::model::CvssVector;
use std::str::FromStr;

/// Scores a CVSS v3.0/v3.1/v4.0 vector. Returns `None` for v2 or malformed vectors.
pub fn score_vector(vector: &str) -> Option<CvssVector> {
    let vector = vector.trim();
    if vector.len() > 512 {
        return None;
    }
    let score = if vector.starts_with("CVSS:3.") {
        cvss::v3::Vector::from_str(vector).ok()?.score().value()
    } else if vector.starts_with("CVSS:4.") {
        cvss::v4::Vector::from_str(vector).ok()?.score().value()
    } else {
        return None;
    };
    Some(CvssVector {
        vector: vector.to_string(),
        score: score as f32,
    })
}

/// The CVSS version named by a vector's prefix (`3.1`, `4.0`), or `""`.
pub fn vector_version(vector: &str) -> &str {
    vector
        .strip_prefix("CVSS:")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_v3_and_v4() {
        let v3 = score_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
        assert!((v3.score - 9.8).abs() < 0.01);
        let v30 = score_vector("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N").unwrap();
        assert!((v30.score - 6.5).abs() < 0.01);
        let v4 = score_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
            .unwrap();
        assert!((v4.score - 9.3).abs() < 0.01);
        assert_eq!(vector_version(&v4.vector), "4.0");
    }

    #[test]
    fn rejects_v2_and_garbage() {
        assert!(score_vector("AV:N/AC:L/Au:N/C:P/I:P/A:P").is_none());
        assert!(score_vector("CVSS:3.1/AV:Q").is_none());
        assert!(score_vector("").is_none());
    }
}
