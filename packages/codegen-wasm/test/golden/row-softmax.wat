(module
 (type $0 (func (param i32 i32 i32)))
 (type $1 (func (param i32)))
 (import "kiln" "memory" (memory $memory 1 65536))
 (export "entry" (func $entry))
 (func $fused_rows_0 (param $0 i32) (param $1 i32) (param $2 i32)
  (local $3 i32)
  (local $4 v128)
  (local $5 i32)
  (local $6 v128)
  (local $7 v128)
  (local $8 f32)
  (local $9 v128)
  (local.set $3
   (i32.const 0)
  )
  (loop $next3
   (block $exit3
    (block
     (br_if $exit3
      (i32.ge_s
       (local.get $3)
       (i32.const 4)
      )
     )
     (local.set $4
      (f32x4.splat
       (f32.const -inf)
      )
     )
     (local.set $8
      (f32.const -inf)
     )
     (block
      (local.set $5
       (i32.const 0)
      )
      (loop $next0
       (block $exit0
        (block
         (br_if $exit0
          (i32.ge_s
           (local.get $5)
           (i32.const 8)
          )
         )
         (local.set $4
          (f32x4.max
           (local.get $4)
           (v128.load align=4
            (i32.add
             (i32.add
              (i32.shl
               (local.get $3)
               (i32.const 5)
              )
              (local.get $1)
             )
             (i32.shl
              (local.get $5)
              (i32.const 2)
             )
            )
           )
          )
         )
         (local.set $5
          (i32.add
           (local.get $5)
           (i32.const 4)
          )
         )
         (br $next0)
        )
       )
      )
     )
     (local.set $9
      (f32x4.splat
       (f32.max
        (local.get $8)
        (f32.max
         (f32.max
          (f32x4.extract_lane 0
           (local.get $4)
          )
          (f32x4.extract_lane 1
           (local.get $4)
          )
         )
         (f32.max
          (f32x4.extract_lane 2
           (local.get $4)
          )
          (f32x4.extract_lane 3
           (local.get $4)
          )
         )
        )
       )
      )
     )
     (local.set $4
      (f32x4.splat
       (f32.const 0)
      )
     )
     (local.set $8
      (f32.const 0)
     )
     (block
      (local.set $5
       (i32.const 0)
      )
      (loop $next1
       (block $exit1
        (block
         (br_if $exit1
          (i32.ge_s
           (local.get $5)
           (i32.const 8)
          )
         )
         (local.set $4
          (f32x4.add
           (local.get $4)
           (local.tee $6
            (block (result v128)
             (local.set $6
              (f32x4.floor
               (f32x4.mul
                (local.tee $4
                 (f32x4.pmax
                  (f32x4.pmin
                   (f32x4.sub
                    (v128.load align=4
                     (i32.add
                      (i32.add
                       (i32.shl
                        (local.get $3)
                        (i32.const 5)
                       )
                       (local.get $1)
                      )
                      (i32.shl
                       (local.get $5)
                       (i32.const 2)
                      )
                     )
                    )
                    (local.get $9)
                   )
                   (v128.const i32x4 0x42b20000 0x42b20000 0x42b20000 0x42b20000)
                  )
                  (v128.const i32x4 0xc2b00000 0xc2b00000 0xc2b00000 0xc2b00000)
                 )
                )
                (v128.const i32x4 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b)
               )
              )
             )
             (local.set $7
              (f32x4.mul
               (local.tee $4
                (f32x4.sub
                 (f32x4.sub
                  (local.get $4)
                  (f32x4.mul
                   (local.get $6)
                   (v128.const i32x4 0x3f318000 0x3f318000 0x3f318000 0x3f318000)
                  )
                 )
                 (f32x4.mul
                  (local.get $6)
                  (v128.const i32x4 0xb95e8083 0xb95e8083 0xb95e8083 0xb95e8083)
                 )
                )
               )
               (local.get $4)
              )
             )
             (f32x4.mul
              (f32x4.add
               (v128.const i32x4 0x3f800000 0x3f800000 0x3f800000 0x3f800000)
               (f32x4.add
                (local.get $4)
                (f32x4.mul
                 (local.get $7)
                 (f32x4.add
                  (f32x4.mul
                   (f32x4.add
                    (f32x4.mul
                     (v128.const i32x4 0x3afa9e40 0x3afa9e40 0x3afa9e40 0x3afa9e40)
                     (local.get $7)
                    )
                    (f32x4.add
                     (f32x4.mul
                      (local.get $4)
                      (v128.const i32x4 0x3c00ee20 0x3c00ee20 0x3c00ee20 0x3c00ee20)
                     )
                     (v128.const i32x4 0x3d2b6f7d 0x3d2b6f7d 0x3d2b6f7d 0x3d2b6f7d)
                    )
                   )
                   (local.get $7)
                  )
                  (f32x4.add
                   (f32x4.mul
                    (local.get $4)
                    (v128.const i32x4 0x3e2aa19b 0x3e2aa19b 0x3e2aa19b 0x3e2aa19b)
                   )
                   (v128.const i32x4 0x3f000026 0x3f000026 0x3f000026 0x3f000026)
                  )
                 )
                )
               )
              )
              (i32x4.shl
               (f32x4.add
                (local.get $6)
                (v128.const i32x4 0x4b40007f 0x4b40007f 0x4b40007f 0x4b40007f)
               )
               (i32.const 23)
              )
             )
            )
           )
          )
         )
         (v128.store align=4
          (i32.add
           (i32.shl
            (local.get $5)
            (i32.const 2)
           )
           (local.get $2)
          )
          (local.get $6)
         )
         (local.set $5
          (i32.add
           (local.get $5)
           (i32.const 4)
          )
         )
         (br $next1)
        )
       )
      )
     )
     (local.set $4
      (f32x4.splat
       (f32.add
        (f32.add
         (f32.add
          (f32x4.extract_lane 0
           (local.get $4)
          )
          (f32x4.extract_lane 1
           (local.get $4)
          )
         )
         (f32.add
          (f32x4.extract_lane 2
           (local.get $4)
          )
          (f32x4.extract_lane 3
           (local.get $4)
          )
         )
        )
        (local.get $8)
       )
      )
     )
     (block
      (local.set $5
       (i32.const 0)
      )
      (loop $next2
       (block $exit2
        (block
         (br_if $exit2
          (i32.ge_s
           (local.get $5)
           (i32.const 8)
          )
         )
         (v128.store align=4
          (i32.add
           (i32.add
            (i32.shl
             (local.get $3)
             (i32.const 5)
            )
            (local.get $0)
           )
           (i32.shl
            (local.get $5)
            (i32.const 2)
           )
          )
          (f32x4.div
           (v128.load align=4
            (i32.add
             (i32.shl
              (local.get $5)
              (i32.const 2)
             )
             (local.get $2)
            )
           )
           (local.get $4)
          )
         )
         (local.set $5
          (i32.add
           (local.get $5)
           (i32.const 4)
          )
         )
         (br $next2)
        )
       )
      )
     )
     (local.set $3
      (i32.add
       (local.get $3)
       (i32.const 1)
      )
     )
     (br $next3)
    )
   )
  )
 )
 (func $entry (param $0 i32)
  (call $fused_rows_0
   (i32.add
    (local.get $0)
    (i32.const 128)
   )
   (local.get $0)
   (i32.add
    (local.get $0)
    (i32.const 256)
   )
  )
 )
)
