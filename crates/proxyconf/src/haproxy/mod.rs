//! haproxy: line tokenizer and backend inventory.

pub mod inventory;
pub mod lexer;
