//! `sieve list`: what exists — data sources, models, regularization presets, strategies
//! with their parameters and defaults.

use sieve_bench_core::regularization::PRESETS;
use sieve_bench_core::Regularization;
use sieve_datasets::DATASET_SOURCES;

/// The listing as text.
pub fn listing() -> String {
    let mut out = String::new();
    out.push_str("experiment kinds (kind = ...):\n");
    out.push_str("  active     pool-based active learning: [[strategy]] blocks, [[budget]] schedules; reference `random`\n");
    out.push_str("  coreset    one-shot subset of the training set, then a fresh model: [[method]] blocks, fractions = [...] or counts = [...],\n             balance = true, [selection] epochs = 10 (+ model, regularization); reference `uniform`\n");
    out.push_str("  condense   learn (or pick) ipc images per class, then n_eval fresh models: [[method]] blocks, ipc = [...], n_eval = 20,\n             [selection] for the model-based real-image baselines; reference `uniform` (random real images)\n");
    out.push_str("  online     online batch selection while training: [[method]] blocks, keep = [0.1] (share of each big batch of\n             batch_size / keep trained on), holdout = 0.5, evals_per_epoch = 1, [irreducible] epochs = 10; reference `uniform`\n");
    out.push_str("  continual  a task sequence with a replay buffer: [[method]] blocks, tasks = 5, settings = [\"class_incremental\",\n             \"task_incremental\"], buffer_size = [...], labeled_fraction = [...]\n             (semi-supervised); reference `reservoir`\n\n");
    out.push_str("dataset sources ([[dataset]] source = ...):\n");
    for source in DATASET_SOURCES {
        let help = match *source {
            "digits" => "built-in 8x8 handwritten digits (1,797 examples, UCI, CC BY 4.0); no path",
            "idx" => "MNIST / Fashion-MNIST / KMNIST IDX files (raw or .gz) in `path`",
            "cifar10" => "CIFAR-10 binary version (cifar-10-batches-bin) in `path`",
            "cifar100" => "CIFAR-100 binary version (cifar-100-binary) in `path`; cifar100_labels = fine|coarse",
            "synthetic" => "seeded separable classes as vectors or small images ([dataset.synthetic])",
            "csv" => "a CSV feature table with a header row; label_column = \"label\"; test_fraction split",
            "npy" => "x_train.npy, y_train.npy (and x_test.npy, y_test.npy, else a test_fraction split) in `path`, or an .npz",
            "image_folder" => "PNG/JPEG in one folder per class under `path` (or under its train/ and test/)",
            _ => "",
        };
        out.push_str(&format!("  {source:<12} {help}\n"));
    }
    out.push_str(&format!(
        "  fetchable    name = {} with no source and no path: read from `sieve data fetch NAME`'s folder\n",
        sieve_datasets::known_names().join(" | ")
    ));
    out.push_str(
        "\nscenarios ([[scenario]] name = ..., kind = ...; default: the pool as loaded):\n",
    );
    out.push_str("  none         the pool as loaded\n");
    out.push_str(
        "  imbalance    ratio = 10: long tail, class c keeps n_max * ratio^(-c/(C-1)) examples\n",
    );
    out.push_str(
        "  redundancy   copies = 2, noise = 0.0: every pool example appears `copies` times\n",
    );
    out.push_str("  ood          share = 0.2, held_out_classes = 2: a share of the pool from held-out classes (cost budget, add no label)\n");
    out.push_str("  label_noise  share = 0.1: a share of pool labels flipped to another class\n");
    out.push_str("\nmodels ([[model]] kind = ...):\n");
    out.push_str("  mlp        hidden = [128]: fully connected, ReLU, on the flattened input; dropout after every hidden layer\n");
    out.push_str("  lenet      LeNet-style CNN: 2 x [conv 5x5 (6, 16), ReLU, max-pool], 120, 84; dropout once, before the head\n");
    out.push_str("  convnet    width = 128, depth = 3: [conv 3x3, instance norm, ReLU, avg-pool] x depth, linear; dropout once, before the head\n");
    out.push_str("  gal_cnn    dropout = [0.25, 0.5]: Gal et al. 2017, conv 4x4 32, conv 4x4 32, max-pool, dropout, dense 128, dropout, linear;\n             its own dropout rates (regularization dropout must be 0)\n");
    out.push_str("  resnet18   stem = \"cifar\" (conv 3x3/1, no max-pool) | \"imagenet\" (conv 7x7/2 + max-pool; 1x1 conv to 3 channels for grey input,\n             DeepAL+'s MNIST_Net): 4 x 2 basic blocks with batch norm, 512-wide pooled embedding; dropout once, before the head\n");
    out.push_str("  vgg11      TorchAL's VGG-11 with batch norm: conv 3x3 stages with max-pools, avg-pool 7x7, 25088-4096 (dropout 0.5)-512, linear;\n             images >= 28x28 (28 padded to 32); its own dropout (regularization dropout must be 0)\n");
    out.push_str("  vgg16      the same with VGG-16's 13 convolutions\n");
    out.push_str("\nregularization presets ([[regularization]] name or preset = ...):\n");
    for name in PRESETS {
        if let Some(r) = Regularization::preset(name) {
            out.push_str(&format!(
                "  {name:<10} epochs={} min_steps={} batch_size={} optimizer={:?} lr={} momentum={} (SGD momentum; Adam/AdamW beta1) schedule={:?} weight_decay={} dropout={} augment=(flip={}, crop_padding={}, cutout={}) label_smoothing={} swa={}\n",
                r.epochs,
                r.min_steps,
                r.batch_size,
                r.optimizer,
                r.lr,
                r.momentum,
                r.schedule,
                r.weight_decay,
                r.dropout,
                r.augment.flip,
                r.augment.crop_padding,
                r.augment.cutout,
                r.label_smoothing,
                r.swa.as_ref().map(|s| format!("from {:.0}% of epochs", s.start_fraction * 100.0)).unwrap_or_else(|| "off".into()),
            ));
        }
    }
    out.push_str(
        "\ncold-start strategies ([[budget]] init_strategy = ..., init_params = { ... }):\n",
    );
    for info in sieve_strategies::init::init_strategy_infos() {
        out.push_str(&format!("  {:<18} {}\n", info.name, info.summary));
        for p in info.params {
            out.push_str(&format!("      {} = {} ({})\n", p.name, p.default, p.help));
        }
    }
    out.push_str("\nstrategies ([[strategy]] name = ..., params = { ... }):\n");
    out.push_str("  every strategy also takes candidate_pool = N: score only N random unlabeled examples per\n  selection, the same subset for every strategy at a repeat and round (Gal et al. 2017: 2000)\n");
    for info in sieve_strategies::strategy_infos() {
        let dropout = if info.needs_dropout {
            " (needs regularization dropout > 0)"
        } else {
            ""
        };
        out.push_str(&format!(
            "  {:<18} [{}] {}{dropout}\n",
            info.name, info.family, info.summary
        ));
        for p in info.params {
            out.push_str(&format!("      {} = {} ({})\n", p.name, p.default, p.help));
        }
    }
    out.push_str(
        "\ncoreset methods (kind = \"coreset\"; [[method]] name = ..., params = { ... }):\n",
    );
    for info in sieve_strategies::coreset::coreset_method_infos() {
        out.push_str(&format!("  {:<22} {}\n", info.name, info.summary));
        for p in info.params {
            out.push_str(&format!("      {} = {} ({})\n", p.name, p.default, p.help));
        }
    }
    out.push_str(
        "\ncondensation methods (kind = \"condense\"; [[method]] name = ..., params = { ... }; any coreset method above is a real-image baseline):\n",
    );
    for info in sieve_strategies::condense::condense_registry() {
        out.push_str(&format!("  {:<22} {}\n", info.name, info.summary));
        for p in info.params {
            out.push_str(&format!("      {} = {} ({})\n", p.name, p.default, p.help));
        }
    }
    out.push_str(
        "\nonline selection methods (kind = \"online\"; [[method]] name = ...; no parameters):\n",
    );
    for info in sieve_strategies::online::online_registry() {
        out.push_str(&format!("  {:<22} {}\n", info.name, info.summary));
    }
    out.push_str(
        "\nreplay buffer methods (kind = \"continual\"; [[method]] name = ..., params = { ... }):\n",
    );
    for info in sieve_strategies::continual::buffer_registry() {
        out.push_str(&format!("  {:<22} {}\n", info.name, info.summary));
        for p in info.params {
            out.push_str(&format!("      {} = {} ({})\n", p.name, p.default, p.help));
        }
    }
    out
}
