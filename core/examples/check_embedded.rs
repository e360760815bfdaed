fn main() {
    match huiqi::policy::PolicySet::embedded() {
        Ok(s) => println!("ok: {} policies, {} definitions", s.policies.len(), s.definitions.len()),
        Err(e) => {
            for p in &e.0 {
                match &p.rendered {
                    Some(r) => println!("{r}\n"),
                    None => println!("{p}\n"),
                }
            }
        }
    }
}
