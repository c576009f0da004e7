//! The fuzzing entry points never panic on arbitrary or hostile input.

use proptest::prelude::*;
use rampart_iam::fuzzing::{fuzz_auth_details, fuzz_policy};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn policy_bytes(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        fuzz_policy(&data);
    }

    #[test]
    fn policy_like_json(action in "[a-z*?:]{0,12}", res in "[a-z*?:${}/]{0,24}", op in "(String|Arn|Numeric|Date|Bool|Ip|Null|ForAllValues:|Foo)[A-Za-z]{0,12}") {
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{res}","Condition":{{"{op}":{{"aws:SourceIp":["{res}"]}}}}}}]}}"#);
        fuzz_policy(doc.as_bytes());
    }
}

#[test]
fn hostile_documents() {
    for d in [
        "",
        "null",
        "{\"Statement\": 5}",
        "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [[[]]], \"Resource\": {}}]}",
        "{\"Version\": 3, \"Statement\": {\"Effect\": \"Deny\", \"NotAction\": \"*\", \"NotResource\": \"${\"}}",
        "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"arn:${aws:username\", \"Condition\": []}}",
    ] {
        fuzz_policy(d.as_bytes());
        fuzz_auth_details(d.as_bytes());
    }
    let deep = "[".repeat(100_000);
    fuzz_policy(deep.as_bytes());
    fuzz_auth_details(deep.as_bytes());
    fuzz_auth_details(br#"{"UserDetailList":[{"UserName":"a","Arn":"arn:aws:iam::1:user/a","GroupList":["g","g"]}],"GroupDetailList":[{"GroupName":"g","Arn":"arn:aws:iam::1:group/g"}]}"#);
    fuzz_auth_details(include_bytes!("data/seeded-auth-details.json"));
}
