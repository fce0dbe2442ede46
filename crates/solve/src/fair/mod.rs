//! Matching-fair meeting scheduler (商談会).
