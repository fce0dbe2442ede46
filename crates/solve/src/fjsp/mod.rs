//! Flexible job-shop routing (仲間まわし).
