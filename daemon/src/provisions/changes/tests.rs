use super::*;

fn tax() -> Taxonomy {
    Taxonomy::default()
}

#[test]
fn debug_split() {
    let old = "# P\n\n## R\n\nWe retain chat history for 30 days after you delete it, and account information for as long as your account is active.\n\n## C\n\nText.\n";
    let new = "# P\n\n## R\n\nWe retain chat history for 30 days after you delete it.\n\nAnd account information for as long as your account is active.\n\n## C\n\nText.\n";
    let s = summarise(Some(old), new, &tax());
    for p in &s.provisions {
        eprintln!("{:?} {:?} {:?} {:?} {:?} {:?}", p.change, p.class, p.cosmetic_reasons, p.old_index, p.new_index, p.split_from);
    }
    panic!();
}
