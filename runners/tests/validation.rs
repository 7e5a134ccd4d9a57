//! The whole sweep is validated before any training; each error names the config field.
#![allow(clippy::unwrap_used)]

mod common;

use common::plan_error_of as error_of;
use sieve_runners::config::SweepConfig;
use sieve_runners::sweep::expand;

const BASE: &str = r#"
kind = "active"
repeats = 2

[[dataset]]
name = "digits"

[[model]]
name = "mlp"

[[regularization]]
name = "none"

[[strategy]]
name = "random"

[[strategy]]
name = "margin"

[[budget]]
initial = 10
query = 10
rounds = 2
"#;

#[test]
fn the_base_config_is_valid_and_expands_to_the_product() {
    let config = SweepConfig::from_toml(BASE, "test.toml").unwrap();
    let sweep = expand(config, "test.toml", &mut |_| {}).unwrap();
    assert_eq!(sweep.trials.len(), 2 * 2);
    assert_eq!(sweep.total_evaluations(), 4 * 3);
}

#[test]
fn unknown_strategy_gets_a_suggestion() {
    let e = error_of(&BASE.replace("name = \"margin\"", "name = \"margn\""));
    assert!(
        e.contains("strategy[1].name") && e.contains("did you mean `margin`"),
        "{e}"
    );
}

#[test]
fn budget_larger_than_the_pool_names_the_budget() {
    let e = error_of(&BASE.replace("rounds = 2", "rounds = 2000"));
    assert!(
        e.contains("budget[0]") && e.contains("larger than the pool"),
        "{e}"
    );
}

#[test]
fn zero_repeats_is_refused() {
    let e = error_of(&BASE.replace("repeats = 2", "repeats = 0"));
    assert!(e.contains("repeats") && e.contains("at least 1"), "{e}");
}

#[test]
fn a_sweep_without_random_is_refused() {
    let e = error_of(&BASE.replace("[[strategy]]\nname = \"random\"\n", ""));
    assert!(
        e.contains("strategy") && e.contains("no `random` strategy"),
        "{e}"
    );
}

#[test]
fn unknown_names_elsewhere_are_named_too() {
    let e = error_of(&BASE.replace("name = \"none\"", "name = \"strnog\""));
    assert!(
        e.contains("regularization[0]") && e.contains("unknown preset"),
        "{e}"
    );
    let e = error_of(&BASE.replace("name = \"mlp\"", "name = \"resnet\""));
    assert!(e.contains("model[0]"), "{e}");
    let e = error_of(&BASE.replace("kind = \"active\"", "kind = \"activ\""));
    assert!(
        e.contains("kind") && e.contains("did you mean `active`"),
        "{e}"
    );
    let e = error_of(&BASE.replace(
        "[[dataset]]\nname = \"digits\"",
        "[[dataset]]\nname = \"fmnist\"\nsource = \"idx\"\npath = \"/nonexistent/fmnist\"",
    ));
    assert!(
        e.contains("dataset[0]") && e.contains("/nonexistent/fmnist"),
        "{e}"
    );
    let e = error_of(&BASE.replace("repeats = 2", "repeats = 2\nrepeat = 3"));
    assert!(e.contains("unknown field `repeat`"), "{e}");
    let e = error_of(&BASE.replace(
        "[[strategy]]\nname = \"margin\"",
        "[[strategy]]\nname = \"kcenter\"\nparams = { metric = \"manhattan\" }",
    ));
    assert!(
        e.contains("strategy[1].params") && e.contains("manhattan"),
        "{e}"
    );
}

#[test]
fn cold_start_errors_are_caught_before_any_training() {
    for (edit, field, says) in [
        (
            "rounds = 2\ninit_strategy = \"kmens\"",
            "budget[0].init_strategy",
            "did you mean `kmeans`",
        ),
        (
            "rounds = 2\ninit_params = { max_iter = 3 }",
            "budget[0].init_params",
            "takes no parameters",
        ),
        (
            "rounds = 2\ninit_strategy = \"kmeans\"\ninit_params = { max_iters = 3 }",
            "budget[0].init_params",
            "unknown field",
        ),
    ] {
        let e = error_of(&BASE.replace("rounds = 2", edit));
        assert!(e.contains(field) && e.contains(says), "{edit}: {e}");
    }
}

#[test]
fn unknown_keys_in_every_block_are_refused() {
    for (edit_from, edit_to) in [
        (
            "[[dataset]]",
            "[[scenario]]\nname = \"plain\"\nkind = \"none\"\nratio = 2\n\n[[dataset]]",
        ),
        (
            "name = \"none\"",
            "name = \"none\"\nschedule = { kind = \"constant\", step_epochs = 3 }",
        ),
        (
            "name = \"none\"",
            "name = \"none\"\nschedule = { kind = \"cosine\", gamma = 0.1 }",
        ),
        (
            "repeats = 2",
            "repeats = 2\n[report]\ninterval = { method = \"student_t\", resamples = 5000 }",
        ),
    ] {
        let e = error_of(&BASE.replace(edit_from, edit_to));
        assert!(e.contains("unknown field"), "{edit_to}: {e}");
    }
}

#[test]
fn model_fields_of_another_kind_name_the_field() {
    let e = error_of(&BASE.replace("name = \"mlp\"", "name = \"lenet\"\nhidden = [7]"));
    assert!(e.contains("model[0].hidden"), "{e}");
    let e = error_of(&BASE.replace("name = \"mlp\"", "name = \"mlp\"\nwidth = 5"));
    assert!(e.contains("model[0].width"), "{e}");
}

#[test]
fn mc_dropout_strategies_need_dropout_before_any_training() {
    let e = error_of(&BASE.replace("name = \"margin\"", "name = \"bald\""));
    assert!(
        e.contains("strategy[1].name")
            && e.contains("MC dropout")
            && e.contains("regularization[0]"),
        "{e}"
    );
    // With dropout it is valid.
    let ok = BASE
        .replace("name = \"margin\"", "name = \"bald\"")
        .replace("name = \"none\"", "name = \"none\"\ndropout = 0.3");
    let config = SweepConfig::from_toml(&ok, "test.toml").unwrap();
    assert!(expand(config, "test.toml", &mut |_| {}).is_ok());
}

#[test]
fn two_scenarios_with_one_name_are_refused() {
    let e = error_of(&format!(
        "{BASE}\n[[scenario]]\nname = \"s\"\nkind = \"none\"\n\n[[scenario]]\nname = \"s\"\nkind = \"label_noise\"\nshare = 0.1\n"
    ));
    assert!(
        e.contains("scenario[1].name") && e.contains("appears twice"),
        "{e}"
    );
}

#[test]
fn an_unknown_kind_gets_a_suggestion() {
    let e = error_of(&BASE.replace("kind = \"active\"", "kind = \"activ\""));
    assert!(
        e.contains("kind") && e.contains("did you mean `active`"),
        "{e}"
    );
    // Every kind runs now: an active config relabelled `continual` is read as one, and
    // its active-only blocks are unknown fields, listed with the valid ones.
    let e = error_of(&BASE.replace("kind = \"active\"", "kind = \"continual\""));
    assert!(
        e.contains("unknown field `strategy`") && e.contains("buffer_size"),
        "{e}"
    );
}

#[test]
fn huge_values_are_refused_with_the_field_named_before_anything_is_allocated() {
    let started = std::time::Instant::now();
    for (edit_from, edit_to, field) in [
        ("rounds = 2", "rounds = 1000000000", "budget[0].rounds"),
        ("rounds = 2", "rounds = 4294967295", "budget[0].rounds"),
        (
            "query = 10\nrounds = 2",
            "query = 9223372036854775807\nrounds = 2",
            "budget[0].query",
        ),
        ("repeats = 2", "repeats = 4294967295", "repeats"),
        (
            "[[dataset]]",
            "[[scenario]]\nname = \"dup\"\nkind = \"redundancy\"\ncopies = 1000000\n\n[[dataset]]",
            "scenario[0]",
        ),
        (
            "name = \"mlp\"",
            "name = \"mlp\"\nhidden = [2000000000]",
            "model[0].hidden",
        ),
        (
            "name = \"margin\"",
            "name = \"bald\"\nparams = { samples = 1000000000 }",
            "strategy[1].params",
        ),
    ] {
        let e = error_of(&BASE.replace(edit_from, edit_to));
        assert!(e.contains(field), "{edit_to}: {e}");
    }
    // A model whose parameters would not fit in memory for this data.
    let e = error_of(&BASE.replace("name = \"mlp\"", "name = \"mlp\"\nhidden = [60000, 60000]"));
    assert!(e.contains("model[0]") && e.contains("parameters"), "{e}");
    assert!(
        started.elapsed().as_secs() < 10,
        "validation must not allocate first"
    );
}

#[test]
fn misspelt_model_dataset_and_preset_names_get_suggestions() {
    for (from, to, says) in [
        (
            "name = \"mlp\"",
            "name = \"lenett\"",
            "did you mean `lenet`",
        ),
        (
            "name = \"digits\"",
            "name = \"digit\"",
            "did you mean name = \"digits\"",
        ),
        ("name = \"none\"", "name = \"nnone\"", "did you mean `none`"),
    ] {
        let e = error_of(&BASE.replace(from, to));
        assert!(e.contains(says), "{to}: {e}");
    }
}

#[test]
fn relative_data_paths_are_relative_to_the_config_file() {
    // An IDX folder next to the config, named relatively: found whatever the working
    // directory.
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("configs").join("data");
    std::fs::create_dir_all(&data).unwrap();
    let labels: Vec<u8> = (0..40u8).map(|i| i % 4).collect();
    let images = |n: usize| {
        let mut out = Vec::new();
        out.extend_from_slice(&0x0803u32.to_be_bytes());
        for d in [n as u32, 6, 6] {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out.extend((0..n * 36).map(|i| (i * 7 % 251) as u8));
        out
    };
    let label_file = |l: &[u8]| {
        let mut out = Vec::new();
        out.extend_from_slice(&0x0801u32.to_be_bytes());
        out.extend_from_slice(&(l.len() as u32).to_be_bytes());
        out.extend_from_slice(l);
        out
    };
    std::fs::write(data.join("train-images-idx3-ubyte"), images(40)).unwrap();
    std::fs::write(data.join("train-labels-idx1-ubyte"), label_file(&labels)).unwrap();
    std::fs::write(data.join("t10k-images-idx3-ubyte"), images(20)).unwrap();
    std::fs::write(
        data.join("t10k-labels-idx1-ubyte"),
        label_file(&labels[..20]),
    )
    .unwrap();
    let text = BASE.replace(
        "name = \"digits\"",
        "name = \"tiny\"\nsource = \"idx\"\npath = \"data\"",
    );
    let origin = tmp.path().join("configs").join("sweep.toml");
    let config = SweepConfig::from_toml(&text, &origin.display().to_string()).unwrap();
    let sweep = expand(config, &origin.display().to_string(), &mut |_| {}).unwrap();
    assert_eq!(sweep.data[0][0].pool.len(), 40);
}

#[test]
fn two_blocks_with_one_label_are_refused() {
    let e = error_of(
        &BASE
            .replace("name = \"margin\"", "name = \"margin\"\nlabel = \"x\"")
            .replace("name = \"random\"", "name = \"random\"\nlabel = \"x\""),
    );
    assert!(e.contains("label") && e.contains("already names"), "{e}");
}
