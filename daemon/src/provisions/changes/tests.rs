use super::*;

fn tax() -> Taxonomy {
    Taxonomy::default()
}
