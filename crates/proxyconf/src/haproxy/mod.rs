//! haproxy: line tokenizer and backend inventory.

mod cond;
pub mod inventory;
mod keywords;
pub mod lexer;
