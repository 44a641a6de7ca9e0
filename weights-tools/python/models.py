"""PyTorch definitions of the two architectures specdiff4j runs, written from their published
descriptions, with parameter names and layouts that are exactly those of the Hugging Face checkpoints:

* GPT-2 as in HF transformers' GPT2LMHeadModel (Conv1D weights stored [in, out], tied LM head,
  gelu_new, pre-LN), state-dict names "transformer.*".
* The MDLM DiT backbone as in kuleshov-group/mdlm (models/dit.py), described in docs/ALGORITHM.md
  ("Checkpoint layouts"): adaLN with a constant conditioning vector when time conditioning is off,
  weight-only LayerNorm, GPT-NeoX rotary embeddings, bidirectional attention, names "backbone.*".

* The target-conditioned block drafter (DFlash-like, arXiv 2602.06036), specdiff4j's own layout, described in
  docs/ALGORITHM.md ("Block drafter"): features of chosen target blocks fused by one linear map and a LayerNorm
  and injected as keys/values into small bidirectional draft layers (rotary positions) over a block of the last
  committed token and γ masks (plus a learned embedding per block row); the target's token embedding and (tied) LM head, restricted to a draft
  vocabulary, do the rest. Names "fc.*", "hidden_norm.*", "mask_embedding", "layers.N.*", "norm.*".

These modules are the reference the Java tests are checked against (fixtures.py) and the models the
demo checkpoints are trained with (train_gpt2.py, train_mdlm.py).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


# --------------------------------------------------------------------------------------------- GPT-2

class Conv1D(nn.Module):
    """HF GPT-2's Conv1D: y = x @ W + b with W stored [in, out]."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out).normal_(std=0.02))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).reshape(*x.shape[:-1], -1)


class GPT2Block(nn.Module):
    def __init__(self, d, n_head, eps, dropout):
        super().__init__()
        self.n_head = n_head
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.attn = nn.Module()
        self.attn.c_attn = Conv1D(d, 3 * d)
        self.attn.c_proj = Conv1D(d, d)
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.mlp = nn.Module()
        self.mlp.c_fc = Conv1D(d, 4 * d)
        self.mlp.c_proj = Conv1D(4 * d, d)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, past=None):
        b, t, d = x.shape
        hd = d // self.n_head
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(d, dim=2)
        q = q.view(b, t, self.n_head, hd).transpose(1, 2)
        k = k.view(b, t, self.n_head, hd).transpose(1, 2)
        v = v.view(b, t, self.n_head, hd).transpose(1, 2)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        present = (k, v)
        s = k.shape[2]
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        # query i (absolute position s - t + i) sees keys 0 .. s - t + i
        mask = torch.ones(t, s, dtype=torch.bool, device=x.device).tril(diagonal=s - t)
        scores = scores.masked_fill(~mask, float("-inf"))
        a = self.dropout(F.softmax(scores, dim=-1)) @ v
        a = a.transpose(1, 2).reshape(b, t, d)
        x = x + self.dropout(self.attn.c_proj(a))
        x = x + self.dropout(self.mlp.c_proj(gelu_tanh(self.mlp.c_fc(self.ln_2(x)))))
        return x, present


class GPT2(nn.Module):
    def __init__(self, vocab_size, n_positions, n_embd, n_layer, n_head, eps=1e-5, dropout=0.0):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, n_positions=n_positions, n_embd=n_embd, n_layer=n_layer,
                           n_head=n_head, layer_norm_epsilon=eps)
        self.transformer = nn.Module()
        self.transformer.wte = nn.Embedding(vocab_size, n_embd)
        self.transformer.wpe = nn.Embedding(n_positions, n_embd)
        self.transformer.h = nn.ModuleList(GPT2Block(n_embd, n_head, eps, dropout) for _ in range(n_layer))
        self.transformer.ln_f = nn.LayerNorm(n_embd, eps=eps)
        self.drop = nn.Dropout(dropout)
        nn.init.normal_(self.transformer.wte.weight, std=0.02)
        nn.init.normal_(self.transformer.wpe.weight, std=0.01)
        for block in self.transformer.h:  # GPT-2's scaled init of the residual projections
            nn.init.normal_(block.attn.c_proj.weight, std=0.02 / math.sqrt(2 * n_layer))
            nn.init.normal_(block.mlp.c_proj.weight, std=0.02 / math.sqrt(2 * n_layer))

    def forward(self, ids, past=None, return_hidden=False):
        start = 0 if past is None else past[0][0].shape[2]
        pos = torch.arange(start, start + ids.shape[1], device=ids.device)
        x = self.drop(self.transformer.wte(ids) + self.transformer.wpe(pos))
        presents = []
        for i, block in enumerate(self.transformer.h):
            x, p = block(x, None if past is None else past[i])
            presents.append(p)
        x = self.transformer.ln_f(x)
        logits = x @ self.transformer.wte.weight.t()  # tied LM head
        return (logits, presents, x) if return_hidden else (logits, presents)

    def block_states(self, ids, layers):
        """The residual stream after each of the given blocks (before the final norm), concatenated in that order:
        (batch, length, len(layers) * C), and the logits: the features a block drafter reads."""
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.transformer.wte(ids) + self.transformer.wpe(pos)
        kept = {}
        for i, block in enumerate(self.transformer.h):
            x, _ = block(x)
            if i in layers:
                kept[i] = x
        logits = self.transformer.ln_f(x) @ self.transformer.wte.weight.t()
        return torch.cat([kept[i] for i in layers], dim=-1), logits

    def hf_config(self, eos_token_id):
        c = self.config
        return {
            "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "activation_function": "gelu_new",
            "vocab_size": c["vocab_size"], "n_positions": c["n_positions"], "n_ctx": c["n_positions"],
            "n_embd": c["n_embd"], "n_layer": c["n_layer"], "n_head": c["n_head"], "n_inner": None,
            "layer_norm_epsilon": c["layer_norm_epsilon"], "bos_token_id": eos_token_id, "eos_token_id": eos_token_id,
            "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0, "tie_word_embeddings": True,
        }


# --------------------------------------------------------------------------------------------- MDLM

class LayerNormWeightOnly(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), eps=self.eps) * self.weight


def timestep_embedding(sigma, dim=256, max_period=10000):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = sigma[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class DiTBlock(nn.Module):
    def __init__(self, d, n_heads, cond_dim, dropout):
        super().__init__()
        self.n_heads = n_heads
        self.norm1 = LayerNormWeightOnly(d)
        self.attn_qkv = nn.Linear(d, 3 * d, bias=False)
        self.attn_out = nn.Linear(d, d, bias=False)
        self.norm2 = LayerNormWeightOnly(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(approximate="tanh"), nn.Linear(4 * d, d))
        self.adaLN_modulation = nn.Linear(cond_dim, 6 * d)
        self.dropout = nn.Dropout(dropout)
        nn.init.zeros_(self.adaLN_modulation.weight)
        nn.init.zeros_(self.adaLN_modulation.bias)

    def forward(self, x, cos, sin, c):
        b, l, d = x.shape
        hd = d // self.n_heads
        shift1, scale1, gate1, shift2, scale2, gate2 = self.adaLN_modulation(c)[:, None].chunk(6, dim=2)
        h = self.norm1(x) * (1 + scale1) + shift1
        qkv = self.attn_qkv(h).view(b, l, 3, self.n_heads, hd)
        q, k, v = qkv[:, :, 0].transpose(1, 2), qkv[:, :, 1].transpose(1, 2), qkv[:, :, 2].transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        a = F.softmax((q @ k.transpose(-1, -2)) / math.sqrt(hd), dim=-1) @ v
        a = a.transpose(1, 2).reshape(b, l, d)
        x = x + gate1 * self.dropout(self.attn_out(a))
        h = self.norm2(x) * (1 + scale2) + shift2
        x = x + gate2 * self.dropout(self.mlp(h))
        return x


class MDLM(nn.Module):
    """The MDLM DiT backbone; vocab_size includes the MASK token (the last id)."""

    def __init__(self, vocab_size, hidden_dim, n_blocks, n_heads, cond_dim=128, model_length=1024, dropout=0.0):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, hidden_dim=hidden_dim, n_blocks=n_blocks, n_heads=n_heads,
                           cond_dim=cond_dim, model_length=model_length)
        self.backbone = nn.Module()
        bb = self.backbone
        bb.vocab_embed = nn.Module()
        bb.vocab_embed.embedding = nn.Parameter(torch.empty(vocab_size, hidden_dim))
        nn.init.kaiming_uniform_(bb.vocab_embed.embedding, a=math.sqrt(5))
        bb.sigma_map = nn.Module()
        bb.sigma_map.mlp = nn.Sequential(nn.Linear(256, cond_dim), nn.SiLU(), nn.Linear(cond_dim, cond_dim))
        hd = hidden_dim // n_heads
        bb.rotary_emb = nn.Module()
        bb.rotary_emb.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd)))
        bb.blocks = nn.ModuleList(DiTBlock(hidden_dim, n_heads, cond_dim, dropout) for _ in range(n_blocks))
        bb.output_layer = nn.Module()
        bb.output_layer.norm_final = LayerNormWeightOnly(hidden_dim)
        bb.output_layer.linear = nn.Linear(hidden_dim, vocab_size)
        bb.output_layer.adaLN_modulation = nn.Linear(cond_dim, 2 * hidden_dim)
        nn.init.zeros_(bb.output_layer.linear.weight)
        nn.init.zeros_(bb.output_layer.linear.bias)
        nn.init.zeros_(bb.output_layer.adaLN_modulation.weight)
        nn.init.zeros_(bb.output_layer.adaLN_modulation.bias)

    def rotary(self, length):
        t = torch.arange(length, dtype=self.backbone.rotary_emb.inv_freq.dtype)
        freqs = torch.einsum("i,j->ij", t, self.backbone.rotary_emb.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos()[None, None], emb.sin()[None, None]

    def forward(self, ids, sigma=None, select=None):
        """Logits for every position, or (select: a boolean [batch, length] mask) only for the selected
        positions, flattened -- the output layer is most of a small model's cost."""
        bb = self.backbone
        b, l = ids.shape
        if sigma is None:
            sigma = torch.zeros(b)
        c = F.silu(bb.sigma_map.mlp(timestep_embedding(sigma)))
        x = bb.vocab_embed.embedding[ids]
        cos, sin = self.rotary(l)
        for block in bb.blocks:
            x = block(x, cos, sin, c)
        shift, scale = bb.output_layer.adaLN_modulation(c)[:, None].chunk(2, dim=2)
        x = bb.output_layer.norm_final(x) * (1 + scale) + shift
        if select is not None:
            x = x[select]
        return bb.output_layer.linear(x)

    def hf_config(self):
        c = self.config
        return {
            "architectures": ["MDLM"], "model_type": "mdlm", "backbone": "dit",
            "vocab_size": c["vocab_size"], "hidden_dim": c["hidden_dim"], "n_blocks": c["n_blocks"],
            "n_heads": c["n_heads"], "cond_dim": c["cond_dim"], "model_length": c["model_length"],
            "time_conditioning": False, "dropout": 0.0, "var_min": True,
        }


def subs_log_probs(logits, ids, mask_id):
    """MDLM's SUBS parameterisation: no probability on MASK; unmasked positions carry their token."""
    logits = logits.clone()
    logits[..., mask_id] = -1e6
    logp = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
    unmasked = ids != mask_id
    logp[unmasked] = -1e6
    logp[unmasked, ids[unmasked]] = 0
    return logp


# --------------------------------------------------------------------------------------------- block drafter

def rope_tables(positions, head_dim, theta=10000.0):
    """GPT-NeoX rotary tables for the given absolute positions: cos, sin of shape (len, head_dim)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2).float() / head_dim))
    freqs = positions.float()[:, None] * inv_freq[None]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


class DraftLayer(nn.Module):
    """Pre-LN bidirectional layer: queries from the block; keys/values from the fused target features of the
    context (no norm: they are normed once) and from the block, through the same projection."""

    def __init__(self, d, n_heads, ffn, eps):
        super().__init__()
        self.n_heads = n_heads
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.q = nn.Linear(d, d, bias=False)         # (C, C)
        self.kv = nn.Linear(d, 2 * d, bias=False)    # (2C, C)
        self.proj = nn.Linear(d, d, bias=False)      # (C, C)
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.fc = nn.Linear(d, ffn)                  # (F, C)
        self.fc_proj = nn.Linear(ffn, d)             # (C, F)

    def heads(self, x):
        b, n, d = x.shape
        return x.view(b, n, self.n_heads, d // self.n_heads).transpose(1, 2)

    def forward(self, x, ctx, rope_block, rope_ctx, allowed):
        """x (B, S, C) block rows; ctx (B, T, C) fused features; allowed (S, T+S) or (B, S, T+S) boolean."""
        b, s, d = x.shape
        h = self.ln_1(x)
        q = self.heads(self.q(h))
        k_blk, v_blk = self.kv(h).split(d, dim=2)
        k_ctx, v_ctx = self.kv(ctx).split(d, dim=2)
        cos_b, sin_b = rope_block
        cos_c, sin_c = rope_ctx
        q = q * cos_b + rotate_half(q) * sin_b
        k_blk = self.heads(k_blk)
        k_blk = k_blk * cos_b + rotate_half(k_blk) * sin_b
        k_ctx = self.heads(k_ctx)
        k_ctx = k_ctx * cos_c + rotate_half(k_ctx) * sin_c
        k = torch.cat([k_ctx, k_blk], dim=2)
        v = torch.cat([self.heads(v_ctx), self.heads(v_blk)], dim=2)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.n_heads)
        if allowed.dim() == 3:
            allowed = allowed[:, None]
        scores = scores.masked_fill(~allowed, float("-inf"))
        a = (F.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.proj(a)
        return x + self.fc_proj(gelu_tanh(self.fc(self.ln_2(x))))


class BlockDrafter(nn.Module):
    """The draft head. It has no embedding and no LM head of its own: the target's token embedding turns the block's
    first token into a row, and the target's (tied) LM head, restricted to draft_vocab, turns hidden rows into logits."""

    def __init__(self, target_hidden, target_layers, target_vocab, target_positions, n_layers, n_heads, ffn,
                 block_size, draft_vocab=None, eps=1e-5, rope_theta=10000.0):
        super().__init__()
        d = target_hidden
        self.config = dict(target_hidden_size=d, target_layers=list(target_layers), target_vocab_size=target_vocab,
                           target_positions=target_positions, n_layer=n_layers, n_head=n_heads, n_inner=ffn,
                           block_size=block_size, layer_norm_epsilon=eps, rope_theta=rope_theta,
                           draft_vocab=list(draft_vocab) if draft_vocab is not None else None)
        self.fc = nn.Linear(len(target_layers) * d, d, bias=False)   # (C, L*C)
        self.hidden_norm = nn.LayerNorm(d, eps=eps)
        self.mask_embedding = nn.Parameter(torch.zeros(d).normal_(std=0.02))
        self.block_embedding = nn.Parameter(torch.zeros(block_size, d).normal_(std=0.02))  # (S, C) added to row r of a block
        self.layers = nn.ModuleList(DraftLayer(d, n_heads, ffn, eps) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d, eps=eps)
        ids = torch.arange(target_vocab) if draft_vocab is None else torch.tensor(list(draft_vocab))
        self.register_buffer("draft_ids", ids, persistent=False)

    def fuse(self, features):
        return self.hidden_norm(self.fc(features))

    def forward(self, features, anchors, anchor_tokens, wte, gamma):
        """Draft logits over the draft vocabulary: features (B, T, L*C) of positions 0..T-1; for each of A blocks per
        sequence, anchors (B, A) the position p of its first row (the last committed token anchor_tokens (B, A), whose
        features are not known), which sees the context positions < p; rows p+1..p+gamma are masks. Returns
        (B, A, gamma, N) logits for the mask rows."""
        b, t, _ = features.shape
        a = anchors.shape[1]
        s = gamma + 1
        d = self.config["target_hidden_size"]
        hd = d // self.config["n_head"]
        ctx = self.fuse(features)
        x = self.mask_embedding.expand(b, a, s, d).clone()
        x[:, :, 0] = wte[anchor_tokens]
        x = (x + self.block_embedding[:s]).reshape(b, a * s, d)
        block_pos = (anchors[:, :, None] + torch.arange(s)[None, None]).reshape(b, a * s)
        cos_b, sin_b = rope_tables(block_pos.reshape(-1), hd, self.config["rope_theta"])
        rope_block = (cos_b.view(b, 1, a * s, hd), sin_b.view(b, 1, a * s, hd))
        cos_c, sin_c = rope_tables(torch.arange(t), hd, self.config["rope_theta"])
        rope_ctx = (cos_c[None, None], sin_c[None, None])
        # block i's rows see context positions < anchor_i and the rows of block i
        ctx_ok = torch.arange(t)[None, None, :] < anchors.reshape(b, a, 1)                      # (B, A, T)
        ctx_ok = ctx_ok[:, :, None, :].expand(b, a, s, t).reshape(b, a * s, t)
        blk = torch.arange(a * s) // s
        blk_ok = (blk[:, None] == blk[None, :])[None].expand(b, a * s, a * s)
        allowed = torch.cat([ctx_ok, blk_ok], dim=2)
        for layer in self.layers:
            x = layer(x, ctx, rope_block, rope_ctx, allowed)
        x = self.norm(x).view(b, a, s, d)[:, :, 1:]
        return x @ wte[self.draft_ids].t()

    def hf_config(self):
        c = dict(self.config)
        if c["draft_vocab"] is None:
            del c["draft_vocab"]
        return {"architectures": ["BlockDrafter"], "model_type": "block_drafter", **c}
