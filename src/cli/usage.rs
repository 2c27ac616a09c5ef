//! Usage errors (an unknown flag or command, a bad value, a missing argument) as one line:
//! clap's own message is several lines (the error, tips, the usage, a pointer to --help);
//! scripts and people reading a log want one line that says what is wrong.

use super::Cli;
use clap::CommandFactory;
use clap::error::{Error, ErrorKind};
use std::ffi::OsString;

/// `error: …` on one line: clap's message with its detail lines (the missing arguments,
/// the possible values, a "similar name exists" tip) folded in, then where to read more:
/// `(see 'egpu SUBCOMMAND --help')` for the subcommand in `args`, else `egpu --help`.
pub fn one_line(e: &Error, args: &[OsString]) -> String {
    let command = subcommand(args);
    let see = match &command {
        Some(name) => format!("see 'egpu {name} --help'"),
        None => "see 'egpu --help'".to_string(),
    };
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // Clap would print the whole help here; say what is missing instead.
        let what = match command {
            Some(name) => format!("'egpu {name}' needs arguments"),
            None => format!(
                "no command given (commands: {})",
                command_names().join(", ")
            ),
        };
        return format!("error: {what} ({see})");
    }
    let rendered = e.render().to_string();
    let mut line = String::new();
    for part in rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
    {
        if !line.is_empty() {
            line += if line.ends_with(':') { " " } else { "; " };
        }
        line += part;
    }
    format!("{line} ({see})")
}

/// The visible subcommands, in help order (without `help`).
fn command_names() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

/// The first argument after the program name that names a subcommand.
fn subcommand(args: &[OsString]) -> Option<String> {
    let names = command_names();
    args.iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| names.iter().any(|n| n == a))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn message(args: &[&str]) -> String {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let e = Cli::try_parse_from(&args).expect_err("parses");
        one_line(&e, &args)
    }

    #[test]
    fn clap_errors_fold_into_one_line_with_their_details() {
        assert_eq!(
            message(&["egpu", "eval"]),
            "error: the following required arguments were not provided: <FILE> \
(see 'egpu eval --help')"
        );
        assert_eq!(
            message(&["egpu", "fmt", "--chek", "x"]),
            "error: unexpected argument '--chek' found; tip: a similar argument exists: \
'--check' (see 'egpu fmt --help')"
        );
        let bad_target = message(&["egpu", "compile", "x.egir", "--target", "sm_70"]);
        assert!(
            bad_target.starts_with(
                "error: invalid value 'sm_70' for '--target <TARGET>'; [possible values: gfx1100,"
            ) && bad_target.ends_with("(see 'egpu compile --help')"),
            "{bad_target}"
        );
        assert_eq!(
            message(&["egpu", "chek"]),
            "error: unrecognized subcommand 'chek'; tip: a similar subcommand exists: 'check' \
(see 'egpu --help')"
        );
        let none = message(&["egpu"]);
        assert!(
            none.starts_with("error: no command given (commands: check, fmt, eval,"),
            "{none}"
        );
        for text in [bad_target, none] {
            assert!(!text.contains('\n'), "{text}");
        }
    }
}
