//! nginx: tokenizer, directive tree and upstream inventory.

pub mod inventory;
pub mod lexer;
pub mod logs;
pub mod parser;
