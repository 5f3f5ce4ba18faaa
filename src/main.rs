fn main() {
    println!("scour");
}
