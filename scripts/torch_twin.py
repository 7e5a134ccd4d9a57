#!/usr/bin/env python3
"""PyTorch twins of sieve's built-in models, for side-by-side benchmarks.

    python3 scripts/torch_twin.py fidelity DIR
    python3 scripts/torch_twin.py step --model lenet --shape 1,28,28 --batch-size 128
    python3 scripts/torch_twin.py dm --shape 1,28,28 --ipc 10 --batch-real 256
    python3 scripts/torch_twin.py dc --shape 1,28,28 --ipc 10 --batch-real 256

reads DIR/protocol.json and the tensors `sieve bench fidelity` exported (train_x.npy,
train_y.npy, test_x.npy, test_y.npy), trains every run from scratch exactly as the
protocol says and writes DIR/torch.json (results are written after every run).

The twins match sieve's networks layer for layer (bench-core/src/model/*.rs):
  mlp      flatten, [Linear, ReLU] per hidden width, Linear head
  lenet    2 x [Conv 5x5 padding 2 (6, 16), ReLU, MaxPool 2], Linear 120, ReLU,
           Linear 84, ReLU, Linear head
  convnet  depth x [Conv 3x3 padding 1 (width), GroupNorm(width, width) = instance norm
           (affine, eps 1e-5), ReLU, AvgPool 2], Linear head; the first conv pads 3
           on 1-channel 28x28 images (28 -> 32), as DatasetCondensation's networks.py
  gal_cnn  Gal et al. 2017's CNN with its two dropouts
  resnet18 torchvision's layout with a cifar or imagenet stem (class ResNet18)
  vgg11, vgg16  TorchAL's VGG with batch norm (class Vgg): [Conv 3x3 + BN + ReLU] x cfg
           with max-pools, AdaptiveAvgPool 7x7, Linear 25088-4096, ReLU, Dropout 0.5,
           Linear 4096-512, ReLU, Linear head; the first conv pads 28 -> 32
PyTorch's default initialisation (weights and biases uniform in +-1/sqrt(fan_in)) is
the same distribution as burn's default KaimingUniform(gain 1/sqrt(3)) that sieve uses.
Training: the protocol's optimizer (SGD: momentum, dampening 0, no weight decay; Adam:
betas (momentum, 0.999), eps 1e-8), constant lr, batch min(batch, n), a fresh shuffle
every epoch, the last partial batch kept, mean cross-entropy, `epochs` epochs or more
until `min_steps` steps. Evaluation: final model, accuracy on the whole test tensor.

Needs only torch and numpy; never a dependency of sieve or its tests.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(shape, classes, hidden):
    layers = [nn.Flatten()]
    width = shape[0] * shape[1] * shape[2]
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def lenet(shape, classes):
    c, h, w = shape
    return nn.Sequential(
        nn.Conv2d(c, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * (h // 4) * (w // 4), 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, classes),
    )


def convnet(shape, classes, width, depth):
    c, h, w = shape
    layers = []
    for d in range(depth):
        pad = 3 if d == 0 and (c, h, w) == (1, 28, 28) else 1
        if pad == 3:
            h, w = 32, 32
        layers += [
            nn.Conv2d(c, width, 3, padding=pad),
            nn.GroupNorm(width, width, affine=True),
            nn.ReLU(),
            nn.AvgPool2d(2),
        ]
        c, h, w = width, h // 2, w // 2
    layers += [nn.Flatten(), nn.Linear(c * h * w, classes)]
    return nn.Sequential(*layers)


def gal_cnn(shape, classes, rates):
    # Gal, Islam & Ghahramani (2017): valid 4x4 convolutions, max-pool, two dropouts.
    c, h, w = shape
    side_h, side_w = (h - 6) // 2, (w - 6) // 2
    return nn.Sequential(
        nn.Conv2d(c, 32, 4), nn.ReLU(),
        nn.Conv2d(32, 32, 4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(rates[0]),
        nn.Linear(32 * side_h * side_w, 128), nn.ReLU(), nn.Dropout(rates[1]),
        nn.Linear(128, classes),
    )


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class ResNet18(nn.Module):
    """torchvision's resnet18 layout; stem "imagenet" (7x7/2 + max-pool, with DeepAL+'s
    1x1 conv to 3 channels for grey input) or "cifar" (3x3/1, no max-pool). Convs are
    He-normal on fan-out, batch norms weight 1 bias 0, the head PyTorch's default."""

    def __init__(self, shape, classes, stem):
        super().__init__()
        c = shape[0]
        layers = []
        if stem == "imagenet":
            if c == 1:
                layers.append(nn.Conv2d(1, 3, 1))
                c = 3
            layers += [nn.Conv2d(c, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                       nn.MaxPool2d(3, 2, 1)]
        else:
            layers += [nn.Conv2d(c, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
        cin = 64
        for stage, cout in enumerate([64, 128, 256, 512]):
            stride = 1 if stage == 0 else 2
            layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(512, classes)
        for m in self.features.modules():
            if isinstance(m, nn.Conv2d) and m.bias is None:
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.head(self.features(x))


VGG_LAYERS = {
    "vgg11": [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
    "vgg16": [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0],
}


class Vgg(nn.Module):
    """TorchAL's `pycls/models/vgg_style/vgg.py` with batch norm: convs He-normal on
    fan-out with zero bias, batch norms 1 / 0, linear layers N(0, 0.01) with zero bias.
    Sides below 32 are padded up to 32 by the first convolution (28 -> padding 3)."""

    def __init__(self, shape, classes, layers):
        super().__init__()
        c, h, w = shape
        pad = lambda side: 1 + (max(0, 32 - side) + 1) // 2
        feats = []
        first = True
        for v in layers:
            if v == 0:
                feats.append(nn.MaxPool2d(2, 2))
                continue
            padding = (pad(h), pad(w)) if first else 1
            feats += [nn.Conv2d(c, v, 3, padding=padding), nn.BatchNorm2d(v), nn.ReLU()]
            c, first = v, False
        self.features = nn.Sequential(*feats)
        self.pool = nn.AdaptiveAvgPool2d((7, 7))
        self.embed = nn.Sequential(nn.Linear(512 * 49, 4096), nn.ReLU(), nn.Dropout(0.5),
                                   nn.Linear(4096, 512), nn.ReLU())
        self.head = nn.Linear(512, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.head(self.embed(torch.flatten(self.pool(self.features(x)), 1)))


def build(model, protocol):
    shape, classes = protocol["shape"], protocol["classes"]
    if model == "mlp":
        return mlp(shape, classes, protocol["mlp_hidden"])
    if model == "lenet":
        return lenet(shape, classes)
    if model == "convnet":
        return convnet(shape, classes, protocol["convnet_width"], protocol["convnet_depth"])
    if model == "gal_cnn":
        return gal_cnn(shape, classes, protocol["gal_dropout"])
    if model == "resnet18":
        return ResNet18(shape, classes, protocol.get("resnet_stem", "cifar"))
    if model in VGG_LAYERS:
        return Vgg(shape, classes, VGG_LAYERS[model])
    raise SystemExit(f"unknown model {model!r}")


def optimizer(run, protocol, params):
    if run["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=run["lr"], momentum=run["momentum"], dampening=0.0)
    betas = (run["momentum"], 0.999)
    eps = protocol["adam_epsilon"]
    if run["optimizer"] == "adam":
        return torch.optim.Adam(params, lr=run["lr"], betas=betas, eps=eps)
    if run["optimizer"] == "adamw":
        return torch.optim.AdamW(params, lr=run["lr"], betas=betas, eps=eps, weight_decay=0.0)
    raise SystemExit(f"unknown optimizer {run['optimizer']!r}")


def evaluate(model, x, y, batch=512):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def train_run(run, protocol, train_x, train_y, seed):
    torch.manual_seed(seed)
    model = build(run["model"], protocol)
    opt = optimizer(run, protocol, model.parameters())
    rows = torch.tensor(run["rows"], dtype=torch.long)
    x, y = train_x[rows], train_y[rows]
    n = len(rows)
    batch = max(1, min(protocol["batch_size"], n))
    per_epoch = math.ceil(n / batch)
    epochs = max(protocol["epochs"], math.ceil(protocol["min_steps"] / per_epoch))
    generator = torch.Generator().manual_seed(seed + 1)
    steps = 0
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for i in range(0, n, batch):
            pick = order[i:i + batch]
            loss = F.cross_entropy(model(x[pick]), y[pick])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            steps += 1
    return model, steps, epochs


def fidelity(folder):
    with open(os.path.join(folder, "protocol.json")) as f:
        protocol = json.load(f)
    torch.set_num_threads(protocol["threads"])
    load = lambda name: torch.from_numpy(np.load(os.path.join(folder, name)))
    train_x, train_y = load("train_x.npy"), load("train_y.npy")
    test_x, test_y = load("test_x.npy"), load("test_y.npy")
    results = {
        "side": f"torch {torch.__version__}, {torch.get_num_threads()} threads",
        "runs": [],
    }
    out = os.path.join(folder, "torch.json")
    started = time.time()
    total = len(protocol["runs"])
    for i, run in enumerate(protocol["runs"]):
        seed = 1000 + i
        t0 = time.time()
        model, steps, epochs = train_run(run, protocol, train_x, train_y, seed)
        seconds = time.time() - t0
        accuracy = evaluate(model, test_x, test_y)
        results["runs"].append({
            "id": run["id"], "accuracy": accuracy, "steps": steps,
            "epochs": epochs, "seconds": seconds,
        })
        print(f"[{i + 1}/{total}] torch {run['id']}: {accuracy * 100:.2f}% in {steps} steps, "
              f"{seconds:.1f} s (elapsed {time.time() - started:.0f} s)", file=sys.stderr)
        tmp = out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(results, f, indent=1)
        os.replace(tmp, out)


def step(args):
    """The phases `sieve bench step` times, on one fixed batch: batch tensor, forward
    with the loss, backward, SGD (momentum 0.9) update, and a no-grad eval forward."""
    torch.set_num_threads(args.threads)
    shape = [int(v) for v in args.shape.split(",")]
    protocol = {"shape": shape, "classes": args.classes, "mlp_hidden": [128],
                "convnet_width": 128, "convnet_depth": 3, "gal_dropout": [0.25, 0.5],
                "resnet_stem": args.resnet_stem}
    torch.manual_seed(0)
    model = build(args.model, protocol)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    source = np.random.default_rng(0).standard_normal((args.batch_size, *shape)).astype(np.float32)
    labels = np.arange(args.batch_size) % args.classes
    totals = [0.0] * 5
    for i in range(args.steps + 2):
        laps = []
        t = time.perf_counter()
        x = torch.from_numpy(source.copy())
        y = torch.from_numpy(labels.copy())
        laps.append(time.perf_counter() - t)
        model.train()
        t = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.item()
        laps.append(time.perf_counter() - t)
        t = time.perf_counter()
        loss.backward()
        laps.append(time.perf_counter() - t)
        t = time.perf_counter()
        opt.step()
        laps.append(time.perf_counter() - t)
        model.eval()
        t = time.perf_counter()
        with torch.no_grad():
            model(x).sum().item()
        laps.append(time.perf_counter() - t)
        if i >= 2:
            totals = [a + b * 1e3 for a, b in zip(totals, laps)]
    per = [v / args.steps for v in totals]
    result = {"side": "torch", "model": args.model, "batch_size": args.batch_size,
              "threads": args.threads, "batch_ms": per[0], "forward_ms": per[1],
              "backward_ms": per[2], "optimizer_ms": per[3],
              "step_ms": sum(per[:4]), "inference_ms": per[4]}
    print(f"{args.model} torch {torch.__version__} {args.threads} threads, batch {args.batch_size}: "
          f"step {result['step_ms']:.1f} ms = batch {per[0]:.1f} + forward {per[1]:.1f} + "
          f"backward {per[2]:.1f} + optimizer {per[3]:.1f}; inference {per[4]:.1f} ms")
    print(json.dumps(result))


def dm(args):
    """One DM iteration as `sieve bench dm` times it (and as the reference main_DM.py
    runs it, without augmentation): a fresh ConvNet with frozen weights, per class
    `batch_real` random real images and the class's `ipc` synthetic images embedded,
    loss = sum over classes of the squared distance of the mean embeddings, backward to
    the images, SGD (lr 1, momentum 0.5) on the images. Random normal data of the
    given shape (the time does not depend on the values)."""
    torch.set_num_threads(args.threads)
    shape = [int(v) for v in args.shape.split(",")]
    classes = args.classes
    protocol = {"shape": shape, "classes": classes, "mlp_hidden": [128],
                "convnet_width": args.width, "convnet_depth": 3, "gal_dropout": [0.25, 0.5],
                "resnet_stem": "cifar"}
    gen = np.random.default_rng(0)
    real = torch.from_numpy(gen.standard_normal((classes, 6000, *shape)).astype(np.float32))
    syn = torch.randn(classes * args.ipc, *shape, requires_grad=True)
    opt = torch.optim.SGD([syn], lr=1.0, momentum=0.5)
    total = 0.0
    for i in range(args.iterations + 1):
        t = time.perf_counter()
        net = build("convnet", protocol)
        for p_ in net.parameters():
            p_.requires_grad = False
        embed = nn.Sequential(*list(net.children())[:-1])
        loss = torch.tensor(0.0)
        for c in range(classes):
            idx = torch.randperm(real.shape[1])[: args.batch_real]
            out_real = embed(real[c][idx]).detach()
            out_syn = embed(syn[c * args.ipc:(c + 1) * args.ipc])
            loss = loss + torch.sum((out_real.mean(0) - out_syn.mean(0)) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        if i >= 1:
            total += time.perf_counter() - t
    ms = total * 1e3 / args.iterations
    result = {"side": "torch", "ipc": args.ipc, "batch_real": args.batch_real,
              "width": args.width, "threads": args.threads, "iteration_ms": ms}
    print(f"dm torch {torch.__version__} {args.threads} threads: ipc {args.ipc}, batch_real "
          f"{args.batch_real}, ConvNet width {args.width}: {ms:.1f} ms per iteration")
    print(json.dumps(result))


def dc(args):
    """One gradient-matching step as `sieve bench condense --method dc` times it (the
    reference main.py's update of the synthetic data, without augmentation): a fresh
    ConvNet; per class the cross-entropy gradients of every parameter on `batch_real`
    real images (detached) and on the class's `ipc` synthetic images (create_graph),
    the reference's layer-wise distance (per output unit 1 - cos; 1-d parameters 0),
    backward to the images, SGD (lr 0.1, momentum 0.5) on the images."""
    torch.set_num_threads(args.threads)
    shape = [int(v) for v in args.shape.split(",")]
    classes = args.classes
    protocol = {"shape": shape, "classes": classes, "mlp_hidden": [128],
                "convnet_width": args.width, "convnet_depth": 3, "gal_dropout": [0.25, 0.5],
                "resnet_stem": "cifar"}
    gen = np.random.default_rng(0)
    real = torch.from_numpy(gen.standard_normal((classes, 6000, *shape)).astype(np.float32))
    syn = torch.randn(classes * args.ipc, *shape, requires_grad=True)
    opt = torch.optim.SGD([syn], lr=0.1, momentum=0.5)

    def distance(gs, gr):
        if gs.dim() == 1:
            return torch.tensor(0.0)
        gs, gr = gs.reshape(gs.shape[0], -1), gr.reshape(gr.shape[0], -1)
        return torch.sum(1 - torch.sum(gs * gr, dim=-1) / (gs.norm(dim=-1) * gr.norm(dim=-1) + 1e-6))

    total = 0.0
    for i in range(args.iterations + 1):
        t = time.perf_counter()
        net = build("convnet", protocol)
        params = list(net.parameters())
        loss = torch.tensor(0.0)
        for c in range(classes):
            idx = torch.randperm(real.shape[1])[: args.batch_real]
            lab = torch.full((len(idx),), c)
            g_real = torch.autograd.grad(F.cross_entropy(net(real[c][idx]), lab), params)
            g_real = [g.detach() for g in g_real]
            lab_syn = torch.full((args.ipc,), c)
            g_syn = torch.autograd.grad(
                F.cross_entropy(net(syn[c * args.ipc:(c + 1) * args.ipc]), lab_syn), params,
                create_graph=True)
            loss = loss + sum(distance(s_, r_) for s_, r_ in zip(g_syn, g_real))
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        if i >= 1:
            total += time.perf_counter() - t
    ms = total * 1e3 / args.iterations
    result = {"side": "torch", "method": "dc", "ipc": args.ipc, "batch_real": args.batch_real,
              "width": args.width, "threads": args.threads, "iteration_ms": ms}
    print(f"dc torch {torch.__version__} {args.threads} threads: ipc {args.ipc}, batch_real "
          f"{args.batch_real}, ConvNet width {args.width}: {ms:.1f} ms per matching step")
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fidelity", help="train the runs of DIR/protocol.json")
    p.add_argument("dir")
    p = sub.add_parser("step", help="time the phases of one training step (sieve bench step)")
    p.add_argument("--model", default="lenet")
    p.add_argument("--shape", default="1,28,28", help="channels,height,width")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--resnet-stem", default="cifar")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    for name in ("dm", "dc"):
        p = sub.add_parser(name, help=f"time one {name} step (sieve bench condense --method {name})")
        p.add_argument("--shape", default="1,28,28", help="channels,height,width")
        p.add_argument("--classes", type=int, default=10)
        p.add_argument("--ipc", type=int, default=10)
        p.add_argument("--batch-real", type=int, default=256)
        p.add_argument("--width", type=int, default=128)
        p.add_argument("--iterations", type=int, default=10)
        p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if args.command == "dm":
        dm(args)
    elif args.command == "dc":
        dc(args)
    elif args.command == "fidelity":
        fidelity(args.dir)
    elif args.command == "step":
        step(args)


if __name__ == "__main__":
    main()
