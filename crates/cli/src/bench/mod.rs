//! `renkei bench …`: the benchmark drivers. Each reads instance files from disk,
//! calls a pure solver from `solve`, and prints what BENCHMARKS.md records.

pub mod directory;
pub mod fair;
pub mod fjsp;
pub mod mail;

/// The benchmarks `renkei bench` can run.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Matching-fair scheduler on a JSON instance of ../shared/bench/matchmaking.
    Fair(fair::FairArgs),
    /// 仲間まわし router on a standard .fjs flexible job-shop instance.
    Fjsp(fjsp::FjspArgs),
    /// The directory's Japanese full-text index on synthetic companies.
    Search(directory::SearchArgs),
    /// The match-ranking engine on synthetic candidates.
    Matching(directory::MatchingArgs),
    /// Generating and reading an NTA corporate-number file of any size.
    Nta(directory::NtaArgs),
    /// A survey round by mail: enqueue, delivery over SMTP, the rate limit.
    Mail(mail::MailArgs),
}

impl BenchCommand {
    pub async fn run(&self) -> anyhow::Result<()> {
        match self {
            BenchCommand::Fair(args) => fair::run(args),
            BenchCommand::Fjsp(args) => fjsp::run(args),
            BenchCommand::Search(args) => directory::search(args).await,
            BenchCommand::Matching(args) => directory::matching(args),
            BenchCommand::Nta(args) => directory::nta(args),
            BenchCommand::Mail(args) => mail::run(args).await,
        }
    }
}
