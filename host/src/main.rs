//! The `courtyard` binary.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = courtyard_host::cli::Cli::parse();
    match courtyard_host::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
